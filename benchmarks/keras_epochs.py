"""What Keras's second input pipeline per epoch costs: the report's networks fitted through Keras's own epoch loop and
through `genre_nbdev.ffnn.one_pipeline_per_epoch`, side by side in one process, and the main job both ways.

    python benchmarks/keras_epochs.py [--repeat 3] [--main 2] [--json_out nbs/results/keras_epochs.json]

Fits: the report's FFNN (300 epochs, batches of 256) and CNN (early stopping on a stratified validation split) on
350 rows of 58 features in ten classes, the size of the demo's `paper` training part; the two loops alternate,
`repeat` times each, and the medians are compared. Every repaired fit must give the probabilities and the training
history of the Keras-loop fit beside it, bit for bit, or the benchmark stops.
`--main N`: the main job as a whole command, `genre_reproduce` on the demo dataset, `N` times each way, alternating;
each is a fresh process, started from a script that imports the command and runs it, inside `keras_epoch_loop()`
for Keras's loop. Its `results.json` (every score and confusion matrix) must be the same both ways.
"""
import json, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np
from fastcore.script import call_parse
from common import machine, save_json
from sklearn.datasets import make_classification
from genre_nbdev.ffnn import ffnn, keras_epoch_loop, EpochIterator, one_pipeline_per_epoch
from genre_nbdev.cnn import cnn

def timed(f):
    "(result of `f()`, wall seconds)"
    t = time.perf_counter(); r = f(); return r, time.perf_counter() - t

def both(name:str, f, same)->dict:
    "Wall seconds of `f()` through Keras's loop and through the repaired one; `same(a, b)` must hold of the results."
    with keras_epoch_loop(): a, ka = timed(f)
    b, kb = timed(f)
    if not same(a, b): raise SystemExit(f"{name}: the repaired loop changed the result")
    return {'Keras loop': ka, 'repaired': kb}

def same_fit(a, b)->bool:
    "Identical probabilities on the training rows and identical training histories."
    return a.history_ == b.history_ and np.array_equal(a.predict_proba(X), b.predict_proba(X))

RUN = 'import sys\nfrom genre_nbdev.ffnn import keras_epoch_loop\nfrom genre_nbdev.reproduce import genre_reproduce\n'
SCRIPTS = {'Keras loop': RUN + 'with keras_epoch_loop(): status = genre_reproduce()\nsys.exit(status)\n',
           'repaired': RUN + 'sys.exit(genre_reproduce())\n'}

def main_job(loop:str, out:Path)->tuple:
    "(results.json without the package versions, wall seconds) of `genre_reproduce --out out` as a process."
    script = out.parent/f'{out.name}.py'; script.write_text(SCRIPTS[loop])
    t = time.perf_counter(); r = subprocess.run([sys.executable, str(script), '--out', str(out)], capture_output=True, text=True)
    secs = time.perf_counter() - t
    if r.returncode: raise SystemExit(f"genre_reproduce failed: {r.stderr[-500:]}")
    return {k: v for k, v in json.loads((out/'results.json').read_text()).items() if k != 'versions'}, secs

X, y = make_classification(350, 58, n_informative=20, n_classes=10, random_state=0)
X = X.astype(np.float32)

@call_parse
def main(
    repeat:int=3,      # fits of each network each way
    main:int=0,        # also the main job as a whole command, this many times each way (about 90 s each here)
    json_out:str=None, # also write the measurements to this JSON file
):
    "Fit the report's networks through Keras's epoch loop and the repaired one, side by side; print the ratios."
    if EpochIterator._enumerate_iterator is not one_pipeline_per_epoch: raise SystemExit("the repair is not in place for this Keras")
    start = machine(); print(start)
    ffnn(epochs=2).fit(X, y)  # TensorFlow's first-use costs, in neither column
    nets = {'FFNN, 300 epochs': lambda: ffnn().fit(X, y), 'CNN, early stopping': lambda: cnn().fit(X, y)}
    runs = {k: [both(k, f, same_fit) for _ in range(repeat)] for k, f in nets.items()}
    secs = {k: {loop: float(np.median([r[loop] for r in rs])) for loop in ('Keras loop', 'repaired')} for k, rs in runs.items()}
    if main:
        tmp, jobs = Path(tempfile.mkdtemp()), []
        for i in range(main):
            jobs.append({loop: main_job(loop, tmp/f'{i}-{loop[0]}') for loop in ('Keras loop', 'repaired')})
            if len({json.dumps(r) for r, _ in jobs[-1].values()}) != 1: raise SystemExit("main job: the repaired loop changed its results")
        runs['main job (genre_reproduce)'] = [{loop: s for loop, (_, s) in j.items()} for j in jobs]
        secs['main job (genre_reproduce)'] = {loop: float(np.median([j[loop][1] for j in jobs])) for loop in ('Keras loop', 'repaired')}
    for k, s in secs.items(): print(f"{k}: Keras loop {s['Keras loop']:.1f} s, repaired {s['repaired']:.1f} s: {s['Keras loop']/s['repaired']:.2f}x faster")
    save_json(json_out, repeat=repeat, rows=len(X), start=start, end=machine(), seconds=secs,
              runs=runs, identical=True)
