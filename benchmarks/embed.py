"""musicnn embeddings of the shared GTZAN segments beside the report's 58 features: throughput and peak memory.

    python benchmarks/embed.py                # all 101 shared tracks, 1010 segments
    python benchmarks/embed.py --limit 10     # a quick run on 10 tracks spread over the genres
    python benchmarks/embed.py --json_out nbs/results/musicnn_speed.json   # also write the measurements (08a reads them)

Modes, each in its own fresh pool of `--jobs` worker processes with one numerical thread each (TensorFlow's too):
- `segments`: the report's 58 features, `represent(load_track(path), REPRESENTATIONS['segments'])`;
- `musicnn`: the `musicnn` representation through the same `represent`, one network call per segment, as
  `extract_tracks(..., mode='musicnn')` computes it;
- `musicnn_layered`: the same, with the front end built in the original's order of layers (`load_musicnn(fold=False)`),
  to measure what folding the pooling into the front end (08a, "The same network, cheaper") gains;
- `musicnn_batched`: the same rows with one network call per track (its ten segments as one batch), to show what
  batching would add; it is not what extraction does today.
The clock starts after every worker has imported its libraries and run once on a second of noise (numba compilation,
building the network), and stops when the last track is done; decoding the wav files is included. Throughput is
seconds of audio per second of wall time ("x real time"). Where other work shares the machine, wall time
overstates the cost, so the workers' CPU time (all threads, `time.process_time`) is also measured: `xrt_cpu` is the
throughput `--jobs` workers would reach each with a core to itself (audio / (CPU seconds / jobs)). Peak memory is the largest peak resident set size
(ru_maxrss) of any worker. The real data is read from $GENRE_NBDEV_DATA, else ../shared/data beside the repository.
"""
import json, os, resource, time, warnings
from pathlib import Path
from concurrent.futures import ProcessPoolExecutor
from fastcore.script import call_parse
import numpy as np

from genre_nbdev.data import SR, SEG_LEN, N_SEGS, real_data, find_tracks, load_track, segment, fit_length

MODES = ('segments', 'musicnn', 'musicnn_layered', 'musicnn_batched')
TARGET_XRT = 50  # issue 13: musicnn embeddings at least 50x real time on 2 cores

def _init(mode:str):
    "Worker start-up: one numerical thread (TensorFlow's too), no warnings."
    os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'
    from threadpoolctl import threadpool_limits
    threadpool_limits(1); warnings.simplefilter('ignore')
    if mode != 'segments':
        import tensorflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(1); tf.config.threading.set_inter_op_parallelism_threads(1)
        import genre_nbdev.pretrained  # registers the 'musicnn' representation

def _rows(mode:str, y:np.ndarray)->np.ndarray:
    "The rows of one decoded track in `mode`."
    from genre_nbdev.representations import REPRESENTATIONS, represent
    if mode in ('segments', 'musicnn'): return represent(y, REPRESENTATIONS[mode])
    from genre_nbdev.pretrained import OUTPUTS, embed, segment_patch, load_musicnn
    if mode == 'musicnn_layered':
        out = [load_musicnn(fold=False).predict_on_batch(segment_patch(s)[None]) for s in segment(fit_length(y))]
        return np.stack([np.concatenate([np.asarray(o[k])[0] for k in OUTPUTS]) for o in out])
    out = embed(np.stack([segment_patch(s) for s in segment(fit_length(y))]))
    return np.concatenate([out[k] for k in OUTPUTS], axis=1)

def _warm(mode:str)->None:
    "Run `mode` once on 30 s of noise (imports, numba, the network), then hold the worker briefly."
    _rows(mode, np.random.default_rng(0).standard_normal(30*SR).astype(np.float32))
    time.sleep(1.0)

def _track(mode:str, path:str)->tuple:
    "The rows of one track in `mode`, the CPU seconds they took (all threads), and this worker's peak RSS in MiB."
    t = time.process_time()
    rows = _rows(mode, load_track(path))
    return rows, time.process_time() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024

def run(mode:str, paths:list, jobs:int)->dict:
    "Compute `mode` for `paths` in a fresh pool; timings, peak memory and the rows."
    with ProcessPoolExecutor(jobs, initializer=_init, initargs=(mode,)) as pool:
        t0 = time.perf_counter()
        list(pool.map(_warm, [mode]*jobs))
        t1 = time.perf_counter()
        out = list(pool.map(_track, [mode]*len(paths), paths))
        t2 = time.perf_counter()
    audio = len(paths)*N_SEGS*SEG_LEN/SR
    cpu = sum(c for _, c, _ in out)
    return dict(rows=np.concatenate([r for r, _, _ in out]), startup=t1-t0, wall=t2-t1, audio=audio,
                xrt=audio/(t2-t1), cpu_s=cpu, xrt_cpu=audio/(cpu/jobs), peak_mib=max(m for _, _, m in out))

@call_parse
def main(
    limit:int=None,            # use only this many tracks, spread over the genres
    jobs:int=os.cpu_count(),   # worker processes
    data:str=None,             # real-data folder (default: $GENRE_NBDEV_DATA, else ../shared/data)
    modes:str='segments,musicnn,musicnn_layered', # comma-separated modes to run, from MODES
    json_out:str=None,         # also write the measurements to this JSON file
):
    "musicnn embeddings of the shared GTZAN segments beside the report's 58 features: throughput and peak memory."
    data = real_data(data)
    if data is None: raise SystemExit("benchmarks/embed.py: real data not found (set $GENRE_NBDEV_DATA)")
    tracks, _ = find_tracks(data/'gtzan'/'genres_original')
    if limit: tracks = tracks.iloc[np.unique(np.linspace(0, len(tracks)-1, limit).astype(int))]
    paths, modes = [str(p) for p in tracks.path], modes.split(',')
    load_start = os.getloadavg()[0]
    print(f"{len(paths)} tracks, {len(paths)*N_SEGS} segments, {len(paths)*N_SEGS*SEG_LEN/SR:.0f} s of audio; "
          f"{jobs} worker processes on {os.cpu_count()} cores; load average {load_start:.2f} at start")
    res = {}
    for mode in modes:
        r = res[mode] = run(mode, paths, jobs)
        print(f"{mode:>16}: {r['wall']:7.1f} s wall for {r['audio']:.0f} s of audio = {r['xrt']:6.1f}x real time; "
              f"{r['xrt_cpu']:6.1f}x on {jobs} dedicated cores (CPU time); peak RSS per worker {r['peak_mib']:.0f} MiB (start-up {r['startup']:.1f} s, not timed)", flush=True)
    diff = lambda a, b: float(np.abs(res[a]['rows'] - res[b]['rows']).max()) if {a, b} <= set(res) else None
    same, folded = diff('musicnn', 'musicnn_batched'), diff('musicnn', 'musicnn_layered')
    load_end = os.getloadavg()[0]
    print(f"load average {load_end:.2f} at end; max |musicnn - musicnn_batched| = {same}; max |musicnn - musicnn_layered| = {folded}")
    if folded is not None:
        print(f"folded front end: {res['musicnn']['xrt']/res['musicnn_layered']['xrt']:.2f}x the layered one's throughput (wall), "
              f"{res['musicnn']['xrt_cpu']/res['musicnn_layered']['xrt_cpu']:.2f}x (CPU time)")
    if json_out: Path(json_out).write_text(json.dumps(dict(
        tracks=len(paths), n_segments=len(paths)*N_SEGS, audio_s=len(paths)*N_SEGS*SEG_LEN/SR, jobs=jobs,
        cores=os.cpu_count(), load_start=load_start, load_end=load_end, target_xrt=TARGET_XRT, modes=modes,
        batched_max_abs_diff=same, layered_max_abs_diff=folded, **{m: {k: v for k, v in r.items() if k != 'rows'} for m, r in res.items()}), indent=1) + '\n')
