"""`genre_tag` on music libraries: how many windows a file needs, and how fast a whole library goes.

    python benchmarks/tag.py windows --json_out nbs/results/tag_windows.json   # labels from N windows against every window
    python benchmarks/tag.py library --json_out nbs/results/tag_speed.json     # a generated library, single and parallel

`windows`: the shipped model labels files from `N` 3-second windows spread over each (`predict_paths(windows=N)`)
and from every window. Files: the 101 shared GTZAN tracks (30 s: ten windows), long files made of five shared tracks
of one genre played one after the other (150 s, fifty windows; two per genre, ten seconds of each track's start
dropped so the seams differ), and the recordings of `other_music`. Reported per N: how often the nearest genre equals
the one every window gives, the accuracy against the genre where it is known (the model was trained on these tracks:
an upper bound, not a test), and the seconds per file.

`library`: a library of `--files` files made from the project's own demo audio, of mixed formats (WAV, FLAC, MP3, Ogg
Vorbis, Opus, M4A) and lengths (`--shortest` to `--longest` seconds), written to a temporary folder. The whole command
`genre_tag LIBRARY` (a dry run) is timed with `--jobs 1` and `--jobs 2`, start-up included; then `--write` with
`--jobs 2`, on a fresh copy. Reported: files per minute, and seconds of music per second of wall time (x real time).
"""
import os, shutil, subprocess, sys, tempfile, time
from pathlib import Path
from fastcore.script import call_parse, Param
import numpy as np, soundfile as sf
from common import shared, shared_tracks, machine, save_json
from genre_nbdev.data import SR, GENRES, load_track, audio_files
from genre_nbdev.demo import synth_track

def long_files(folder:Path, per_file:int=5, skip:float=10.0)->list:
    "Files of `per_file` shared tracks of one genre one after the other, two per genre: [(path, genre)]."
    tracks, out = shared_tracks(), []
    for g, t in tracks.groupby('genre'):
        for k in range(2):
            part = t.iloc[k*per_file:(k+1)*per_file]
            if len(part) < per_file: continue
            y = np.concatenate([load_track(p)[int(skip*SR):] for p in part.path])
            sf.write(f := folder/f'{g}-long-{k}.flac', y, SR); out.append((f, g))
    return out

def windows_stage(ns:list)->dict:
    "Labels from N windows against every window, on GTZAN tracks, long files and other music."
    from genre_nbdev.bundle import load_bundle
    from genre_nbdev.predict import predict_paths
    m, tmp, data = load_bundle('default'), Path(tempfile.mkdtemp()), shared()
    sets = {'shared tracks (30 s)': [(p, g) for p, g in zip(shared_tracks().path, shared_tracks().genre)],
            'long files (150 s)': long_files(tmp), 'other music': [(p, None) for p in audio_files(data/'other_music')[0]]}
    out = {}
    for name, files in sets.items():
        paths, truth = [Path(p) for p, _ in files], [g for _, g in files]
        t = time.perf_counter(); full, _ = predict_paths(m, paths); t_full = (time.perf_counter() - t)/len(paths)
        rows = [dict(windows='all', agree=1.0, accuracy=_acc(full, truth), seconds=t_full)]
        for n in ns:
            t = time.perf_counter(); few, _ = predict_paths(m, paths, windows=n); secs = (time.perf_counter() - t)/len(paths)
            rows.append(dict(windows=n, agree=float(np.mean([a.nearest == b.nearest for a, b in zip(few, full)])),
                             accuracy=_acc(few, truth), seconds=secs))
        out[name] = dict(files=len(paths), rows=rows)
        print(name, *[f"{r['windows']}: agree {r['agree']:.2f}, acc {r['accuracy']}, {r['seconds']:.2f} s" for r in rows], sep='\n  ', flush=True)
    shutil.rmtree(tmp)
    return out

def _acc(preds, truth):
    "The accuracy of the nearest genres where the genre is known; None where it is not."
    known = [(p.nearest, g) for p, g in zip(preds, truth) if g]
    return float(np.mean([a == b for a, b in known])) if known else None

def write_library(folder:Path, files:int, shortest:float, longest:float, seed:int=0)->float:
    "A library of demo tracks in mixed formats and lengths; the seconds of music it holds."
    import av
    rng, total = np.random.default_rng(seed), 0.0
    exts = ['.wav', '.flac', '.mp3', '.ogg', '.opus', '.m4a']
    for i in range(files):
        g, secs, ext = GENRES[i % len(GENRES)], float(rng.uniform(shortest, longest)), exts[i % len(exts)]
        y = synth_track(g, rng, secs=secs); total += secs
        f = folder/f'artist {i % 17}'/f'{i:04d} {g} song{ext}'; f.parent.mkdir(exist_ok=True)
        if ext in ('.opus', '.m4a'):
            with av.open(str(f), 'w', format='ogg' if ext == '.opus' else 'ipod') as c:
                s = c.add_stream('libopus' if ext == '.opus' else 'aac', rate=48000 if ext == '.opus' else SR, layout='mono')
                fr = av.AudioFrame.from_ndarray(y[None].astype(np.float32), format='fltp', layout='mono'); fr.sample_rate, fr.pts = SR, 0
                for p in [*s.encode(fr), *s.encode(None)]: c.mux(p)
        else:  # in blocks: libsndfile's Vorbis encoder crashes on one long write
            with sf.SoundFile(f, 'w', SR, 1, **({'format': 'MP3'} if ext == '.mp3' else {})) as out:
                for k in range(0, len(y), 10*SR): out.write(y[k:k + 10*SR])
    return total

def library_stage(files:int, shortest:float, longest:float)->dict:
    "The whole `genre_tag` command on a generated library: dry runs with 1 and 2 jobs, and a write with 2."
    lib = Path(tempfile.mkdtemp())/'library'; lib.mkdir()
    t = time.perf_counter(); music = write_library(lib, files, shortest, longest); made = time.perf_counter() - t
    print(f"library: {files} files, {music/3600:.1f} h of music, written in {made:.0f} s", flush=True)
    bin_, runs = str(Path(sys.executable).parent/'genre_tag'), {}
    for name, args, where in [('dry run, 1 job', ['--jobs', '1'], lib), ('dry run, 2 jobs', ['--jobs', '2'], lib),
                              ('write, 2 jobs', ['--jobs', '2', '--write', '--min_confidence', '0'], None)]:
        if where is None: where = Path(shutil.copytree(lib, lib.parent/'copy'))
        t = time.perf_counter(); r = subprocess.run([bin_, str(where), *args, '--format', 'csv'], capture_output=True, text=True)
        wall = time.perf_counter() - t
        runs[name] = dict(status=r.returncode, wall=wall, files_per_minute=files/wall*60, xrt=music/wall)
        print(f"{name}: {wall:.0f} s, {files/wall*60:.0f} files per minute, {music/wall:.0f}x real time (status {r.returncode})", flush=True)
    shutil.rmtree(lib.parent)
    return dict(files=files, music_s=music, written_s=made, runs=runs)

@call_parse
def main(
    stage:Param("what to run", str, choices=['windows', 'library']),
    ns:Param("windows per file to try", int, nargs='+')=[1, 3, 5, 10, 20],
    files:int=240,       # library: files
    shortest:float=20,   # library: the shortest file, s
    longest:float=300,   # library: the longest file, s
    json_out:str=None,   # also write the measurements to this JSON file
):
    start = machine(); print(start)
    res = windows_stage(ns) if stage == 'windows' else library_stage(files, shortest, longest)
    save_json(json_out, stage=stage, start=start, end=machine(), **res)
