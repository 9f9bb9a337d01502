"""Where the test suite's time goes: `nbdev_test` run as the README runs it, with every Python process it starts
accounted for.

    python benchmarks/test_time.py [--out FILE.json]

A `sitecustomize` module on `PYTHONPATH` (written to a temporary folder) records, in every process of the run, the
CPU seconds of each TensorFlow import and each Keras `fit`, and at exit the CPU seconds of the process, each against
the notebook that caused it (for the notebooks' own processes) or the command's name (for the commands they start).
The run's wall time and its total CPU time (user + system, every process) come from the operating system.
Processes killed on purpose by the tests do not report at exit, so the per-command sums are lower bounds.
"""
import os, resource, subprocess, sys, tempfile, time
from pathlib import Path
import pandas as pd
from fastcore.script import call_parse
from common import machine, save_json

HOOK = r'''
import os, sys, time, importlib.util
LOG = os.environ.get('TEST_TIME_LOG')
def _where():
    f = sys._getframe()
    while f:  # nbdev's test_nb(fn, ...) runs the notebook fn in this process
        if f.f_code.co_name == 'test_nb' and 'fn' in f.f_locals: return os.path.basename(str(f.f_locals['fn']))
        f = f.f_back
    return os.path.basename(sys.argv[0]) or 'python'
def _log(kind, cpu):
    with open(LOG, 'a') as f: f.write(f"{kind}\t{cpu:.3f}\t{_where()}\n")
class _Finder:
    "Times the import of TensorFlow, and wraps Keras' `fit` once its trainer module loads."
    def find_spec(self, name, path, target=None):
        if name not in ('tensorflow', 'keras.src.backend.tensorflow.trainer'): return None
        sys.meta_path.remove(self)
        try: spec = importlib.util.find_spec(name)
        finally: sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None: return spec
        run = spec.loader.exec_module
        def exec_module(m):
            c = time.process_time(); run(m)
            if name == 'tensorflow': return _log('tensorflow import', time.process_time() - c)
            fit = m.TensorFlowTrainer.fit
            def timed_fit(self, *a, **k):
                c = time.process_time()
                try: return fit(self, *a, **k)
                finally: _log('keras fit', time.process_time() - c)
            m.TensorFlowTrainer.fit = timed_fit
        spec.loader.exec_module = exec_module
        return spec
if LOG:
    import atexit
    sys.meta_path.insert(0, _Finder())
    atexit.register(lambda: _log('process', time.process_time()))
'''

@call_parse
def main(out:str=None): # a JSON file for the measurements
    "Run `nbdev_test --timing` with every process accounted for; print where the CPU time went."
    hook, log = Path(tempfile.mkdtemp()), Path(tempfile.mkdtemp())/'log.tsv'
    (hook/'sitecustomize.py').write_text(HOOK)
    env = {**os.environ, 'TEST_TIME_LOG': str(log), 'PYTHONPATH': os.pathsep.join([str(hook), os.environ.get('PYTHONPATH', '')])}
    before, t = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    r = subprocess.run(['nbdev_test', '--timing'], env=env, capture_output=True, text=True)
    wall, after = time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    if r.returncode: sys.exit(f"nbdev_test failed:\n{r.stderr[-2000:]}")
    notebooks = {l.split(': ')[0]: int(l.split(': ')[1].split()[0]) for l in r.stdout.splitlines() if l.endswith(' secs')}
    d = pd.read_csv(log, sep='\t', names=['kind', 'cpu', 'where'])
    commands = d[(d.kind == 'process') & d['where'].str.startswith('genre_')]
    parts = pd.DataFrame({
        'Keras fits': d[d.kind == 'keras fit'].cpu.agg(['count', 'sum']),
        'TensorFlow imports': d[d.kind == 'tensorflow import'].cpu.agg(['count', 'sum']),
        'our commands, as processes': commands.cpu.agg(['count', 'sum'])}).T.rename(columns={'count': 'n', 'sum': 'cpu s'})
    print(f"nbdev_test: {wall:.0f} s wall, {cpu:.0f} s CPU (user + system, every process) on {machine()['cores']} cores "
          f"({cpu/wall:.2f} cores busy on average)")
    print(parts.round(1).to_string())
    print(commands.groupby('where').cpu.agg(['count', 'sum']).round(1).sort_values('sum', ascending=False).to_string())
    print('\n'.join(f"{k}: {v} s" for k, v in list(notebooks.items())[:10]))
    save_json(out, wall_s=round(wall, 1), cpu_s=round(cpu, 1), machine=machine(), notebooks_s=notebooks,
              parts=parts.round(1).to_dict('index'), commands=commands.groupby('where').cpu.agg(['count', 'sum']).round(1).to_dict('index'))
