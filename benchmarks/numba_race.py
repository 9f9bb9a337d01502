"""Reproduce numba's cache race (numba issue #10128) and check the fix, `genre_nbdev.features.kernels_ready`.

    python benchmarks/numba_race.py --procs 4 --rounds 10 --fix 0   # before: the kernels compiled concurrently
    python benchmarks/numba_race.py --procs 4 --rounds 10 --fix 1   # after: every process calls kernels_ready() first
    python benchmarks/numba_race.py ... --json_out nbs/results/numba_race.json   # also record the run (01 reads it)

Every round gets a new, empty NUMBA_CACHE_DIR. `--procs` processes import the package, wait at a barrier, and then
all at once compute the chroma and the median filter of one second of noise, which first-compiles the kernels the
issue found corrupt (librosa's pitch kernels under `estimate_tuning`, the project's `_sliding_median`) into that
cache. Then `--later` single processes run the same features again from the cache, one after the other, as
later commands would. A round is *corrupt* when any later process dies (by a signal: the segfault of the issue).
With `--fix 1` every process calls `kernels_ready()` at the barrier, as every entry point does at its start.
`--pythonpath` runs another copy of the package (the code before the fix). `--kernels tiny` races three small
cached kernels of the script's own (two gufuncs, one jit function) instead, which takes seconds per round.
"""
import json, os, subprocess, sys, tempfile, time
from pathlib import Path
from fastcore.script import call_parse

WORKERS = {'librosa': r"""
import os, sys, time, numpy as np
go, fix = sys.argv[1], sys.argv[2] == '1'
import genre_nbdev.features as F
while go != '-' and not os.path.exists(go): time.sleep(0.002)
if fix: F.kernels_ready()
y = np.random.default_rng(0).standard_normal(22050).astype(np.float32)
S = np.abs(F.librosa.stft(y))
F.chroma(S**2), F.median_filter(S)
""",
# the mechanism alone, quick: a few cached gufuncs and a cached jit function of numba's own, no librosa
'tiny': r"""
import os, sys, time, numpy as np, numba
go, fix = sys.argv[1], sys.argv[2] == '1'
sys.path.insert(0, os.environ['RACE_MODULE_DIR'])
if fix: from genre_nbdev.features import kernels_ready
while go != '-' and not os.path.exists(go): time.sleep(0.002)
if fix: kernels_ready(f"import sys; sys.path.insert(0, {os.environ['RACE_MODULE_DIR']!r}); import race_kernels; race_kernels.run()")
import race_kernels as K  # after the barrier: gufuncs with signatures compile (or load) when they are defined
K.run()
"""}

RACE_MODULE = """import numba, numpy as np
@numba.guvectorize(['void(float32[:], float32[:])', 'void(float64[:], float64[:])'], '(n)->()', cache=True)
def total(x, out):
    out[0] = 0
    for v in x: out[0] += v
@numba.guvectorize(['void(float32[:], float32[:])', 'void(float64[:], float64[:])'], '(n)->(n)', cache=True)
def peaks(x, out):
    for i in range(x.shape[0]): out[i] = x[i] if 0 < i < x.shape[0]-1 and x[i-1] < x[i] > x[i+1] else 0
@numba.njit(cache=True)
def median(x, k):
    return np.array([np.median(x[i:i+k]) for i in range(len(x)-k+1)])
def run():
    for t in (np.float32, np.float64):
        x = np.arange(10, dtype=t)
        assert total(x) == 45 and peaks(np.sin(x)).shape == (10,) and median(x, 3)[0] == 1
"""

def _run_round(procs, later, fix, env, kernels):
    "One round on a fresh cache: (return codes of the concurrent processes, return codes of the later ones)."
    WORKER = WORKERS[kernels]
    with tempfile.TemporaryDirectory() as cache:
        env = {**env, 'NUMBA_CACHE_DIR': cache}
        go = Path(cache).parent/f'go-{os.getpid()}-{time.time_ns()}'
        ps = [subprocess.Popen([sys.executable, '-c', WORKER, str(go), str(int(fix))], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(procs)]
        time.sleep(6 if kernels == 'librosa' else 2)  # every process has imported what it needs and waits
        go.touch()
        first = [p.wait() for p in ps]
        go.unlink()
        after = [subprocess.run([sys.executable, '-c', WORKER, '-', '0'], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL).returncode for _ in range(later)]
    return first, after

@call_parse
def main(
    procs:int=4,           # processes compiling at once
    rounds:int=10,         # rounds, each on a new empty cache
    later:int=2,           # single processes run after each round
    fix:int=0,             # 1: every process calls kernels_ready() first
    kernels:str='librosa', # 'librosa': the kernels of the issue; 'tiny': three small cached kernels, no librosa (quick)
    pythonpath:str=None,   # run the package found here instead (e.g. a copy of the code before the fix)
    json_out:str=None,     # add this run to a JSON file, keyed 'before' (fix 0) or 'after' (fix 1)
):
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'RACE_MODULE_DIR': tempfile.mkdtemp()}
    Path(env['RACE_MODULE_DIR'], 'race_kernels.py').write_text(RACE_MODULE)
    if pythonpath: env['PYTHONPATH'] = pythonpath
    res, t0 = [], time.time()
    for r in range(rounds):
        first, after = _run_round(procs, later, fix, env, kernels)
        res.append({'concurrent': first, 'later': after})
        print(f"round {r}: concurrent rc {first}, later rc {after}", flush=True)
    corrupt = sum(any(rc != 0 for rc in x['later']) for x in res)
    crashed = sum(any(rc != 0 for rc in x['concurrent']) for x in res)
    summary = dict(kernels=kernels, procs=procs, rounds=rounds, later=later, fix=bool(fix), corrupt_rounds=corrupt,
                   rounds_with_a_concurrent_crash=crashed, seconds=round(time.time() - t0, 1), cores=os.cpu_count(),
                   command=' '.join(['python', 'benchmarks/numba_race.py'] + sys.argv[1:]), rounds_detail=res)
    print(json.dumps({k: v for k, v in summary.items() if k != 'rounds_detail'}))
    if json_out:
        p = Path(json_out)
        old = json.loads(p.read_text()) if p.exists() else {}
        old[f"{kernels} {'after' if fix else 'before'}"] = summary
        p.write_text(json.dumps(old, indent=1))
