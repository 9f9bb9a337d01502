"""musicnn embeddings of the shared GTZAN segments: every lever side by side, in one run, and the whole command.

    python benchmarks/embed.py                # all 101 shared tracks, 1010 segments
    python benchmarks/embed.py --limit 10     # a quick run on 10 tracks spread over the genres
    python benchmarks/embed.py --json_out nbs/results/musicnn_speed.json   # also write the measurements (08c reads them)

Modes, each in its own fresh pool of worker processes (`--jobs`, one numerical thread each unless said):
- `segments`: the report's 58 features, for comparison;
- `musicnn`: the `musicnn` representation as extraction computes it: onnxruntime, one network call per segment;
- `musicnn_track`: onnxruntime, the ten segments of a track in one call;
- `musicnn_track_2threads`: the same in one worker of two threads, instead of two workers of one;
- `keras_segment`: the Keras port under TensorFlow, one call per segment (how extraction ran before onnxruntime);
- `keras_track`: the Keras port, one call per track.
The clock starts after every worker has imported its libraries and run once (numba, the network), and stops when
the last track is done; decoding the wav files is included. Throughput is seconds of audio per second of wall time
("x real time"); `xrt_cpu` is what the workers would reach each with a core to itself (audio over CPU seconds per
worker), the fairer figure on a machine others share. Peak memory is the largest peak resident set size of a worker.
In the same run: the ten input patches of a track made segment by segment (as extraction does) and from one log-mel
of the whole track, in this process; and the whole command `genre_extract DIR --mode musicnn --jobs 2`, start-up
included.
"""
import os, resource, subprocess, sys, tempfile, time, warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from fastcore.script import call_parse
import numpy as np
from common import shared, shared_tracks, machine, save_json
from genre_nbdev.data import SR, SEG_LEN, N_SEGS, load_track, segment, fit_length

MODES = {'segments': 2, 'musicnn': 2, 'musicnn_track': 2, 'musicnn_track_2threads': 1, 'keras_segment': 2, 'keras_track': 2} # mode -> workers


def _init(mode:str):
    "Worker start-up: its share of threads (onnxruntime and TensorFlow read it), no warnings."
    threads = '2' if mode.endswith('2threads') else '1'
    os.environ['OMP_NUM_THREADS'] = threads
    from threadpoolctl import threadpool_limits
    threadpool_limits(int(threads)); warnings.simplefilter('ignore')
    if mode.startswith('keras'):
        from genre_nbdev.tuning import tf_threads
        tf_threads(int(threads))

def _rows(mode:str, y:np.ndarray)->np.ndarray:
    "The rows of one decoded track in `mode`."
    from genre_nbdev.representations import represent, representation_named
    if mode in ('segments', 'musicnn'): return represent(y, representation_named(mode))
    from genre_nbdev.patches import OUTPUTS, segment_patch
    P = np.stack([segment_patch(s) for s in segment(fit_length(y))])
    if mode.startswith('keras'):
        from genre_nbdev.core import quiet_import
        embed = quiet_import('genre_nbdev.pretrained').keras_embed
    else: from genre_nbdev.runtime import embed
    out = [embed(P[k:k+1]) for k in range(len(P))] if mode == 'keras_segment' else [embed(P)]
    return np.concatenate([np.concatenate([o[k] for k in OUTPUTS], axis=1) for o in out])

def _warm(mode:str)->None:
    "Run `mode` once on 30 s of noise (imports, numba, the network), then hold the worker briefly."
    _rows(mode, np.random.default_rng(0).standard_normal(30*SR).astype(np.float32))
    time.sleep(1.0)

def _track(mode:str, path:str)->tuple:
    "The rows of one track in `mode`, the CPU seconds they took (all threads), and this worker's peak RSS in MiB."
    t = time.process_time()
    rows = _rows(mode, load_track(path))
    return rows, time.process_time() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024

def run(mode:str, paths:list)->dict:
    "Compute `mode` for `paths` in a fresh pool; timings, peak memory and the rows."
    jobs = MODES[mode]
    with ProcessPoolExecutor(jobs, initializer=_init, initargs=(mode,)) as pool:
        t0 = time.perf_counter(); list(pool.map(_warm, [mode]*jobs)); t1 = time.perf_counter()
        out = list(pool.map(_track, [mode]*len(paths), paths)); t2 = time.perf_counter()
    audio, cpu = len(paths)*N_SEGS*SEG_LEN/SR, sum(c for _, c, _ in out)
    return dict(workers=jobs, rows=np.concatenate([r for r, _, _ in out]), startup=t1-t0, wall=t2-t1, audio=audio,
                xrt=audio/(t2-t1), cpu_s=cpu, xrt_cpu=audio/(cpu/os.cpu_count()), peak_mib=max(m for _, _, m in out))

def patch_making(paths:list)->dict:
    "Seconds per track to make the ten input patches: segment by segment, and from one log-mel of the whole track."
    from genre_nbdev.patches import segment_patch, to_16k, log_mel, level, N_FRAMES, MN_SR
    ys = [fit_length(load_track(p)) for p in paths]
    t = time.perf_counter(); [np.stack([segment_patch(s) for s in segment(y)]) for y in ys]; per_seg = (time.perf_counter() - t)/len(ys)
    t = time.perf_counter()
    for y in ys: mel = log_mel(level(to_16k(y))); np.stack([mel[k*3*MN_SR//256:][:N_FRAMES] for k in range(N_SEGS)])
    whole = (time.perf_counter() - t)/len(ys)
    return dict(per_segment_s=per_seg, whole_track_s=whole)

def command(folder:Path, n:int)->dict:
    "The whole command on the shared tracks, start-up included: seconds and x real time."
    out = Path(tempfile.mkdtemp())/'musicnn.csv'
    t = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent/'genre_extract'), str(folder), '-o', str(out), '--mode', 'musicnn',
                    '--jobs', '2', '--no-progress'], check=True, capture_output=True)
    wall = time.perf_counter() - t
    return dict(wall=wall, xrt=n*N_SEGS*SEG_LEN/SR/wall)

@call_parse
def main(
    limit:int=None,            # use only this many tracks, spread over the genres
    modes:str=','.join(MODES), # comma-separated modes to run
    whole:bool=True,           # also time the whole `genre_extract` command (all the shared tracks)
    json_out:str=None,         # also write the measurements to this JSON file
):
    "musicnn embeddings of the shared GTZAN segments: every lever side by side, in one run, and the whole command."
    tracks = shared_tracks(limit)
    paths, modes, start = [str(p) for p in tracks.path], modes.split(','), machine()
    print(f"{len(paths)} tracks, {len(paths)*N_SEGS} segments, {len(paths)*N_SEGS*SEG_LEN/SR:.0f} s of audio; {start}")
    res = {}
    for mode in modes:
        r = res[mode] = run(mode, paths)
        print(f"{mode:>24}: {r['xrt']:6.1f}x real time ({r['wall']:.1f} s), {r['xrt_cpu']:6.1f}x by CPU time; "
              f"{r['workers']} worker(s), peak {r['peak_mib']:.0f} MiB each; start-up {r['startup']:.1f} s", flush=True)
    base = 'keras_segment' if 'keras_segment' in res else None
    if base:
        for m in res:
            if m != base and m != 'segments': print(f"{m} against {base}: {res[m]['xrt']/res[base]['xrt']:.2f}x (wall), {res[m]['xrt_cpu']/res[base]['xrt_cpu']:.2f}x (CPU)")
    same = {m: float(np.abs(res[m]['rows'] - res['musicnn']['rows']).max()/np.abs(res['musicnn']['rows']).max())
            for m in res if m not in ('segments', 'musicnn') and 'musicnn' in res}
    print(f"largest difference from `musicnn`, relative to its largest value: {same}")
    patches = patch_making(paths[:20])
    print(f"making a track's patches: {patches['per_segment_s']*1000:.0f} ms segment by segment, {patches['whole_track_s']*1000:.0f} ms from one log-mel")
    cmd = command(shared()/'gtzan'/'genres_original', len(shared_tracks())) if whole else None
    if cmd: print(f"genre_extract --mode musicnn --jobs 2, whole command: {cmd['wall']:.1f} s, {cmd['xrt']:.1f}x real time")
    save_json(json_out, tracks=len(paths), n_segments=len(paths)*N_SEGS, audio_s=len(paths)*N_SEGS*SEG_LEN/SR, start=start,
              end=machine(), modes=modes, relative_diff=same, patches=patches, command=cmd,
              **{m: {k: v for k, v in r.items() if k != 'rows'} for m, r in res.items()})
