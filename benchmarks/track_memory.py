"""Peak memory and time of a long file's 58 track features: the whole computation against blocks.

    python benchmarks/track_memory.py                  # 1, 3 and 10 minutes of real music (20 shared GTZAN tracks, 2 per genre)
    python benchmarks/track_memory.py --minutes 3      # a quicker reading
    python benchmarks/track_memory.py --json_out nbs/results/track_memory.json   # also write the measurements (01 reads them)

Each implementation, `extract_features` and `block_features` (genre_nbdev.features, genre_nbdev.blocks), runs in its own fresh
process with one numerical thread, for each length in `--minutes`: it decodes the tracks, puts them one after the
other and cuts the result to that length, warms up on a second of noise (numba kernels, filter banks), records its peak resident set size so
far (`base`: Python, librosa and the decoded signal), then computes the 58 features once and records the peak
again and the wall time. Both feature vectors are written too, so the reader can check that they agree. The real
data is read from $GENRE_NBDEV_DATA, else ../shared/data beside the repository; it is never copied.
"""
import json, os, resource, time, warnings
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from fastcore.script import call_parse, Param
import numpy as np

from common import shared_tracks
from genre_nbdev.data import SR, load_track
from genre_nbdev.features import extract_features
from genre_nbdev.blocks import block_features, BLOCK_SECS

IMPLS = {'whole': extract_features, 'blocks': block_features}

def peak_mib()->float:
    "This process's peak resident set size so far, MiB."
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024

def measure(impl:str, paths:list, n:int, block_secs:float)->dict:
    "In a fresh worker: decode `paths` into one signal of `n` samples, warm up, then time `impl` on it and read the peaks."
    from threadpoolctl import threadpool_limits
    threadpool_limits(1); warnings.simplefilter('ignore')
    y = np.concatenate([load_track(p) for p in paths])[:n]
    kw = dict(block_secs=block_secs) if impl == 'blocks' else {}
    IMPLS[impl](np.random.default_rng(0).standard_normal(SR).astype(np.float32), SR)
    base = peak_mib()
    t = time.perf_counter(); feats = IMPLS[impl](y, SR, **kw); wall = time.perf_counter() - t
    return dict(base_mib=base, peak_mib=peak_mib(), wall_s=wall, features=[float(v) for v in feats])

def in_fresh_process(impl:str, paths:list, n:int, block_secs:float)->dict:
    "`measure` in a new process of its own, so that its peak is its own."
    with ProcessPoolExecutor(1, mp_context=get_context('spawn')) as pool:
        return pool.submit(measure, impl, paths, n, block_secs).result()

@call_parse
def main(
    minutes:Param("lengths of the signal, min", float, nargs='+')=[1, 3, 10],
    per_genre:int=2,              # shared tracks of each genre put one after the other
    block_secs:float=BLOCK_SECS,  # audio per block of `block_features`, s
    data:str=None,                # real-data folder (default: $GENRE_NBDEV_DATA, else ../shared/data)
    json_out:str=None,            # also write the measurements to this JSON file
):
    "Peak memory and time of a long file's 58 track features: the whole computation against blocks."
    tracks = shared_tracks(data=data).groupby('genre').head(per_genre)
    paths = [str(p) for p in tracks.path]
    load_start = os.getloadavg()[0]
    print(f"{len(paths)} tracks; {os.cpu_count()} cores; load average {load_start:.2f} at start")
    runs = []
    for m in minutes:
        n, res = int(m*60*SR), {}
        for impl in IMPLS:
            r = res[impl] = in_fresh_process(impl, paths, n, block_secs)
            print(f"{m:g} min, {impl:>6}: peak RSS {r['peak_mib']:6.0f} MiB (base {r['base_mib']:.0f} MiB, "
                  f"{r['peak_mib'] - r['base_mib']:.0f} MiB above it); {r['wall_s']:.1f} s")
        f = {k: np.array(r['features']) for k, r in res.items()}
        rel = float(np.max(np.abs(f['blocks'] - f['whole'])/np.maximum(np.abs(f['whole']), 1e-12)))
        print(f"  blocks / whole: memory above base {(res['blocks']['peak_mib'] - res['blocks']['base_mib'])/(res['whole']['peak_mib'] - res['whole']['base_mib']):.3f}, "
              f"time {res['blocks']['wall_s']/res['whole']['wall_s']:.2f}; largest plain relative difference {rel:.2g}")
        runs.append(dict(minutes=m, audio_s=n/SR, **res))
    if json_out: Path(json_out).write_text(json.dumps(dict(
        tracks=len(paths), block_secs=block_secs, cores=os.cpu_count(), load_start=load_start, load_end=os.getloadavg()[0],
        command=f"python benchmarks/track_memory.py --minutes {' '.join(f'{m:g}' for m in minutes)} --json_out {json_out}",
        runs=runs), indent=1))
