"""Feature extraction on a Dask cluster: throughput with 1 and 2 workers, and the costs a capacity plan needs.

    python benchmarks/scale.py                 # 20 shared tracks spread over the genres, segments mode
    python benchmarks/scale.py --limit 101     # all 101 shared tracks
    python benchmarks/scale.py --json m.json   # also write the measurements as JSON (nbs/09_scale.ipynb reads them)

Everything runs through `genre_nbdev.extract.extract_tracks`, the function behind `genre_extract`, on a folder of
links to the shared GTZAN tracks (the data is never copied), writing a CSV to a temporary folder:

- 1 worker: `jobs=1`, in this process, with its numerical libraries limited to one thread as the workers' are.
  joblib runs work that has a single slot in the calling process, so a cluster of one one-thread worker would run
  it here too.
- 2 workers: `scheduler=client`, a LocalCluster of two one-thread worker processes (`cluster(2)`), started and
  warmed up (numba kernels loaded) before the clock starts.
- 2 workers again, on a LocalCluster with Dask's default worker environment, which sets MALLOC_TRIM_THRESHOLD_=65536
  (`cluster(2)` leaves glibc's default).

The clock covers the whole call: finding the files, dispatching, extracting, and writing and fsyncing each track.
Then, on the 2-worker cluster, it measures what would limit a larger cluster:
- the time per task of joblib's Dask backend (no-op tasks, one per dispatch) and of plain Dask (`client.map`);
- the pickled size of one track's result, which every task sends back to the client;
- the client's cost to save one track (CSV append and fsync) and one Parquet part of `PART_ROWS` rows;
- bytes per track of the CSV and of a Parquet dataset (marginal per track, and the fixed cost of a part file);
- recordings of other lengths: each of one 30-s GTZAN track and the two long non-GTZAN files (a 291-s MP3 at
  22.05 kHz, a 144-s Ogg at 44.1 kHz) decoded and extracted in a fresh process of its own (one numerical thread),
  with that process's peak memory after warm-up and after the track.
Peak memory is the peak resident set size (ru_maxrss) of a process. The load average (processes competing for the
cores) is printed at start and end. The real data is read from $GENRE_NBDEV_DATA, else ../shared/data.
"""
import argparse, json, math, os, pickle, resource, tempfile, time, warnings
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
import numpy as np, pandas as pd
from joblib import Parallel, delayed
from threadpoolctl import threadpool_limits

from common import shared, shared_tracks
from genre_nbdev.core import append_rows
from genre_nbdev.data import SR, N_SEGS, SEG_LEN, load_track, track_name

from genre_nbdev.tables import TABLE_COLUMNS, read_table
from genre_nbdev.extract import PART_ROWS, extract_tracks, extract_file, warm_up, cluster, write_part

LONG = ['asc_machine_wars.mp3', 'sectoid_metal_madness.ogg']

def peak_mib()->float:
    "Peak resident memory of this process, MiB."
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024

def timed(f, *args, **kw)->tuple:
    "(f(*args, **kw), seconds it took)."
    t = time.perf_counter(); r = f(*args, **kw)
    return r, time.perf_counter() - t

def link_tracks(paths:list, folder:Path)->Path:
    "A folder of symbolic links to `paths`."
    folder.mkdir()
    for p in paths: os.symlink(p, folder/Path(p).name)
    return folder

def run(src:Path, out:Path, client=None)->dict:
    "Extract `src` to `out` in this process (client None) or on `client`; wall time, rows, peak memory per worker."
    if client is None: warm_up()
    with threadpool_limits(1 if client is None else None):
        (n, skipped), wall = timed(extract_tracks, src, out, 'segments', jobs=1, progress=False, scheduler=client)
    peak = peak_mib() if client is None else max(client.run(peak_mib).values())
    return dict(workers=1 if client is None else len(client.ncores()), wall=wall, rows=n, skipped=len(skipped), peak_mib=peak)

def task_overhead(client, n:int=400)->tuple:
    "Seconds per no-op task through joblib's Dask backend (one task per dispatch), and through `client.map`."
    with cluster(client): _, joblib_s = timed(lambda: Parallel(n_jobs=-1, batch_size=1)(delayed(abs)(-i) for i in range(n)))
    _, dask_s = timed(lambda: client.gather(client.map(abs, range(-5*n, 0))))
    return joblib_s/n, dask_s/(5*n)

def save_costs(table:pd.DataFrame, folder:Path)->tuple:
    "Seconds for the client to append and fsync one track to a CSV, and to write one Parquet part of `PART_ROWS` rows."
    tracks = [g for _, g in table.groupby(table.filename.map(track_name), sort=False)]
    _, csv_s = timed(lambda: [append_rows(folder/'append.csv', g) for g in tracks])
    big = pd.concat([table]*math.ceil(PART_ROWS/len(table)), ignore_index=True).iloc[:PART_ROWS]
    (folder/'part').mkdir()
    _, part_s = timed(write_part, folder/'part', big)
    return csv_s/len(tracks), part_s

def parquet_bytes(table:pd.DataFrame, folder:Path)->tuple:
    "Marginal bytes per track of a Parquet part, and the fixed bytes of a part file."
    n = table.filename.map(track_name).nunique()
    for name, rows in [('all', table), ('one', table.iloc[:N_SEGS])]: (folder/name).mkdir(); write_part(folder/name, rows)
    size = {k: sum(p.stat().st_size for p in (folder/k).iterdir()) for k in ('all', 'one')}
    per_track = (size['all'] - size['one'])/(n - 1)
    return per_track, size['one'] - per_track

def one_file(path:str)->dict:
    "In a fresh process: warm up, then decode `path` and extract its segment rows; times and peak memory."
    threadpool_limits(1); warm_up(); base = peak_mib()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        y, decode_s = timed(load_track, path)
    (rows, bad), extract_s = timed(extract_file, path, Path(path).name, '', 'segments')
    return dict(file=Path(path).name, secs=len(y)/SR, decode_s=decode_s, extract_s=extract_s, rows=len(rows),
                base_mib=base, peak_mib=peak_mib())

def fresh_processes(paths:list)->list:
    "`one_file` of each path, each in a process of its own."
    with ProcessPoolExecutor(1, mp_context=get_context('spawn'), max_tasks_per_child=1) as pool: return list(pool.map(one_file, paths))

def on_cluster(client, src:Path, tmp:Path)->dict:
    "The 2-worker run and the limits measured on its cluster."
    client.run(warm_up)
    m = dict(two=run(src, tmp/'two.csv', client))
    m['task_s_joblib'], m['task_s_dask'] = task_overhead(client)
    return m

def with_dask_trim(src:Path, out:Path)->dict:
    "The 2-worker run on a LocalCluster with Dask's default MALLOC_TRIM_THRESHOLD_ in its workers."
    from dask.distributed import Client
    saved = dict(os.environ)  # the nanny writes its worker environment into this process's environment too
    try:
        with Client(n_workers=2, threads_per_worker=1, dashboard_address=None) as client:
            client.run(warm_up)
            r = run(src, out, client)
            r['trim'] = sorted(set(client.run(os.environ.get, 'MALLOC_TRIM_THRESHOLD_').values()), key=str)
            return r
    finally: os.environ.clear(); os.environ.update(saved)

def measure(paths:list, data:Path)->dict:
    "Every measurement, in one run."
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d); src = link_tracks(paths, tmp/'audio')
        m = dict(tracks=len(paths), audio_secs=len(paths)*N_SEGS*SEG_LEN/SR, cores=os.cpu_count(), load_start=os.getloadavg()[0])
        m['one'] = run(src, tmp/'one.csv')
        t0 = time.perf_counter()
        with cluster(2) as client:
            m['cluster_start_s'] = time.perf_counter() - t0
            m.update(on_cluster(client, src, tmp))
        m['files'] = fresh_processes([paths[0]] + [str(data/'other_music'/f) for f in LONG])
        m['dask_trim'] = with_dask_trim(src, tmp/'trim.csv')
        table = read_table(tmp/'one.csv')
        m['same_table'] = (tmp/'one.csv').read_bytes() == (tmp/'two.csv').read_bytes()
        m['result_bytes'] = len(pickle.dumps(extract_file(paths[0], Path(paths[0]).name, '', 'segments')))
        m['csv_append_s'], m['part_write_s'] = save_costs(table, tmp)
        m['part_rows'] = PART_ROWS
        m['csv_bytes_per_track'] = ((tmp/'one.csv').stat().st_size - len(','.join(TABLE_COLUMNS)) - 1)/len(paths)
        m['parquet_bytes_per_track'], m['parquet_bytes_per_part'] = parquet_bytes(table, tmp)
        m['load_end'] = os.getloadavg()[0]
    return m

def report(m:dict)->str:
    "The measurements as text, the two runs side by side."
    runs = [m['one'], m['two'], m['dask_trim']]
    row = lambda name, f, fmt: f"{name:<32}" + ''.join(f"{fmt.format(f(r)):>{w}}" for r, w in zip(runs, (12, 12, 14)))
    lines = [f"{m['tracks']} shared GTZAN tracks, {m['tracks']*N_SEGS} segments, {m['audio_secs']:.0f} s of audio, segments mode; "
             f"{m['cores']} cores; load average {m['load_start']:.2f} at start",
             f"{'':<32}{'1 worker':>12}{'2 workers':>12}{'2, Dask trim':>14}",
             row('wall time (s)', lambda r: r['wall'], '{:.1f}'),
             row('tracks per second', lambda r: m['tracks']/r['wall'], '{:.2f}'),
             row('x real time', lambda r: m['audio_secs']/r['wall'], '{:.1f}'),
             row('worker-seconds per track', lambda r: r['workers']*r['wall']/m['tracks'], '{:.2f}'),
             row('peak memory per worker (MiB)', lambda r: r['peak_mib'], '{:.0f}'),
             f"speed-up 2 vs 1 worker: {m['one']['wall']/m['two']['wall']:.2f}x; same table: {m['same_table']}; "
             f"cluster start {m['cluster_start_s']:.1f} s (not timed); 1 worker runs in this process; "
             f"'Dask trim': workers with MALLOC_TRIM_THRESHOLD_={m['dask_trim']['trim']}",
             f"per task: {1e3*m['task_s_joblib']:.2f} ms through joblib's Dask backend, {1e3*m['task_s_dask']:.2f} ms through client.map "
             f"(no-op tasks, 2 workers); result of one track pickled: {m['result_bytes']/1e3:.1f} kB",
             f"client saving: {1e3*m['csv_append_s']:.2f} ms per track (CSV append + fsync), "
             f"{1e3*m['part_write_s']:.0f} ms per Parquet part of {m['part_rows']} rows (rows repeated from this run)",
             f"output per track (10 rows): CSV {m['csv_bytes_per_track']/1e3:.2f} kB, Parquet {m['parquet_bytes_per_track']/1e3:.2f} kB "
             f"+ {m['parquet_bytes_per_part']/1e3:.1f} kB per part file",
             "one file per fresh process (one thread): decode, extract = decode + 10 segments, peak memory after warm-up -> after:"]
    lines += [f"  {l['file']:<27} {l['secs']:4.0f} s of audio: decode {l['decode_s']:.2f} s, extract {l['extract_s']:.2f} s, "
              f"{l['base_mib']:.0f} -> {l['peak_mib']:.0f} MiB" for l in m['files']]
    return '\n'.join(lines + [f"load average {m['load_end']:.2f} at end"])

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--limit', type=int, default=20, help='use this many shared tracks, spread over the genres (default 20)')
    p.add_argument('--json', default=None, help='also write the measurements to this JSON file')
    p.add_argument('--data', default=None, help='real-data folder (default: $GENRE_NBDEV_DATA, else ../shared/data)')
    a = p.parse_args()
    data, tracks = shared(a.data), shared_tracks(a.limit, a.data)
    m = measure([str(p) for p in tracks.path], data)
    print(report(m))
    if a.json: Path(a.json).write_text(json.dumps(m, indent=1))

if __name__ == '__main__': main()
