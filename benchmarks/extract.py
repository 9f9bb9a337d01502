"""Segment-mode feature extraction of the shared GTZAN tracks: the reference recipe against the fast path.

    python benchmarks/extract.py              # all 101 shared tracks, 1010 segments, both implementations
    python benchmarks/extract.py --limit 10   # a quick run on 10 tracks spread over the genres
    python benchmarks/extract.py --json_out nbs/results/extract_speed.json   # also write the measurements (01 reads them)

Both implementations run in one invocation through the same code, `segment_features(load_track(path), features=f)`
with `f` = `reference_features` or `extract_features` (genre_nbdev.features), each in its own fresh pool of `--jobs`
worker processes limited to one numerical thread each. The clock starts after every worker has imported librosa
and warmed up (numba compilation), and stops when the last track is done; decoding the wav files is included.
Throughput is seconds of audio per second of wall time ("x real time"). Peak memory is the largest peak resident
set size (ru_maxrss) of any worker process. The real data is read from $GENRE_NBDEV_DATA, else ../shared/data
beside the repository; it is never copied.
"""
import json, os, resource, time, warnings
from pathlib import Path
from fastcore.script import call_parse
from concurrent.futures import ProcessPoolExecutor
import numpy as np

from common import shared_tracks
from genre_nbdev.data import SR, SEG_LEN, N_SEGS, load_track
from genre_nbdev.features import segment_features, extract_features, reference_features

IMPLS = {'reference': reference_features, 'fast': extract_features}

def _init():
    "Worker start-up: one numerical thread, no warnings."
    from threadpoolctl import threadpool_limits
    threadpool_limits(1); warnings.simplefilter('ignore')

def _warm(impl:str)->None:
    "Run `impl` once on a second of noise (imports, numba compilation), then hold the worker briefly."
    IMPLS[impl](np.random.default_rng(0).standard_normal(SR).astype(np.float32), SR)
    time.sleep(1.0)

def _track(impl:str, path:str)->tuple:
    "Segment features of one track with `impl`, and this worker's peak RSS in MiB."
    feats = segment_features(load_track(path), features=IMPLS[impl])
    return feats, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024

def run(impl:str, paths:list, jobs:int)->dict:
    "Extract `paths` with `impl` in a fresh pool; timings, peak memory and the features."
    with ProcessPoolExecutor(jobs, initializer=_init) as pool:
        t0 = time.perf_counter()
        list(pool.map(_warm, [impl]*jobs))
        t1 = time.perf_counter()
        out = list(pool.map(_track, [impl]*len(paths), paths))
        t2 = time.perf_counter()
    audio = len(paths)*N_SEGS*SEG_LEN/SR
    return dict(feats=np.concatenate([f for f, _ in out]), startup=t1-t0, wall=t2-t1, audio=audio,
                xrt=audio/(t2-t1), peak_mib=max(m for _, m in out))

@call_parse
def main(
    limit:int=None,            # use only this many tracks, spread over the genres
    jobs:int=os.cpu_count(),   # worker processes
    data:str=None,             # real-data folder (default: $GENRE_NBDEV_DATA, else ../shared/data)
    json_out:str=None,         # also write the measurements to this JSON file
):
    "Segment-mode feature extraction of the shared GTZAN tracks: the reference recipe against the fast path."
    tracks = shared_tracks(limit, data)
    paths = [str(p) for p in tracks.path]
    load_start = os.getloadavg()[0]
    print(f"{len(paths)} tracks, {len(paths)*N_SEGS} segments, {len(paths)*N_SEGS*SEG_LEN/SR:.0f} s of audio; "
          f"{jobs} worker processes on {os.cpu_count()} cores; load average {load_start:.2f} at start")
    res = {}
    for impl in IMPLS:
        r = res[impl] = run(impl, paths, jobs)
        print(f"{impl:>9}: {r['wall']:7.1f} s wall for {r['audio']:.0f} s of audio = {r['xrt']:6.1f}x real time; "
              f"peak RSS per worker {r['peak_mib']:.0f} MiB (start-up {r['startup']:.1f} s, not timed)")
    diff = float(np.abs(res['fast']['feats'] - res['reference']['feats']).max())
    load_end = os.getloadavg()[0]
    print(f"fast / reference: {res['fast']['xrt']/res['reference']['xrt']:.1f}x; "
          f"max |fast - reference| over {res['fast']['feats'].size} values = {diff:.3g}; load average {load_end:.2f} at end")
    if json_out: Path(json_out).write_text(json.dumps(dict(
        tracks=len(paths), segments=len(paths)*N_SEGS, audio_s=len(paths)*N_SEGS*SEG_LEN/SR, jobs=jobs, cores=os.cpu_count(),
        load_start=load_start, load_end=load_end, max_abs_diff=diff, values=int(res['fast']['feats'].size),
        **{impl: {k: float(v) for k, v in r.items() if k != 'feats'} for impl, r in res.items()}), indent=1))
