"""How long `genre_predict` takes on one 30-second file, as a whole command: the default model, beside the old path.

    python benchmarks/predict.py                          # blues.00000.wav of the real data (a demo track without it)
    git worktree add /tmp/genre_nbdev-old aa40cc6         # the project before onnxruntime: musicnn under TensorFlow
    python benchmarks/predict.py --old /tmp/genre_nbdev-old --json_out nbs/results/predict_speed.json

The whole command is timed as a process, from spawn to exit: Python, the imports, the model, decoding, the
network and the output; the median and minimum of `--repeat` runs, and the peak resident memory. `new` is
`genre_predict FILE` with the model the package ships. `old` runs the same model through the code of an older
checkout (`--old`, a git worktree of commit aa40cc6), where the musicnn network ran in TensorFlow and the head was a
Keras layer: the shipped head's weights are written as that code's bundle, a Keras model of one softmax layer, so
both paths compute the same thing. In this process, the time of each stage with the model loaded.
"""
import json, os, resource, subprocess, sys, tempfile, time
from pathlib import Path
from fastcore.script import call_parse
import numpy as np
from common import machine, save_json
from genre_nbdev.core import real_data
from genre_nbdev.demo import demo_dataset

def whole_command(cmd:list, repeat:int, env:dict|None=None)->dict:
    "Median and minimum wall seconds of `repeat` runs of `cmd`, and the largest peak RSS of a run, MiB."
    walls, peak = [], 0
    for _ in range(repeat):
        t = time.perf_counter(); r = subprocess.run(cmd, capture_output=True, text=True, env=env); walls.append(time.perf_counter() - t)
        if r.returncode: sys.exit(f"{cmd[:3]} failed: {r.stderr[-500:]}")
        peak = max(peak, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return dict(median=float(np.median(walls)), min=min(walls), runs=walls, peak_mib=peak/1024, output=r.stdout.strip().splitlines()[-1])

def old_bundle(dest:Path)->Path:
    "The shipped model as the older code's bundle: its head a Keras softmax layer, its representation named by module."
    from genre_nbdev.core import quiet_import
    from genre_nbdev.bundle import load_bundle
    keras, m = quiet_import('keras'), load_bundle('default')
    net = keras.Sequential([keras.Input((len(m.features),)), keras.layers.Dense(len(m.genres), activation='softmax')])
    net.layers[-1].set_weights([m.model.weights, m.model.bias])
    dest.mkdir(parents=True); net.save(dest/'model.keras')
    (dest/'bundle.json').write_text(json.dumps(dict(format=1, genres=list(m.genres), features=m.features, mean=list(m.mean),
        scale=list(m.scale), representation='musicnn', module='genre_nbdev.pretrained', unit='segment', source='default')))
    return dest

def stages(path:Path)->dict:
    "Seconds of each stage of one prediction, the default model loaded and warm."
    from genre_nbdev.bundle import load_bundle
    from genre_nbdev.predict import predict_file, track_segments
    from genre_nbdev.patches import segment_patch
    from genre_nbdev.runtime import embed
    m = load_bundle('default'); predict_file(m, path)
    t0 = time.perf_counter(); segs = list(track_segments(path))
    t1 = time.perf_counter(); P = np.stack([segment_patch(s) for s in segs])
    t2 = time.perf_counter(); [embed(P[k:k+1]) for k in range(len(P))]
    t3 = time.perf_counter(); predict_file(m, path); t4 = time.perf_counter()
    return {'decode and cut': t1 - t0, 'input patches': t2 - t1, 'network, segment by segment': t3 - t2, 'all of predict_file': t4 - t3}

@call_parse
def main(
    file:str=None,     # a ~30-s audio file (default: gtzan blues.00000.wav of the real data, else a demo track)
    old:str=None,      # an older checkout of the project, to time the old path beside the new one
    repeat:int=5,      # runs of each command
    json_out:str=None, # also write the measurements to this JSON file
):
    "How long `genre_predict` takes on one 30-second file, as a whole command, beside the old path."
    data = real_data()
    path = Path(file) if file else (data/'gtzan/genres_original/blues/blues.00000.wav' if data else demo_dataset()/'genres_original/rock/rock.00000.wav')
    start = machine()
    print(f"file {path}; {start}")
    bin_ = str(Path(sys.executable).parent/'genre_predict')
    subprocess.run([bin_, str(path)], capture_output=True)  # the first use builds the ONNX file: not timed
    res = {'new': whole_command([bin_, str(path)], repeat)}
    if old:
        b = old_bundle(Path(tempfile.mkdtemp())/'old-bundle')
        script = b.parent/'genre_predict_old.py'  # a script file, run as `__main__`: what a console script is
        script.write_text('import sys\nfrom genre_nbdev.predict import genre_predict\nsys.exit(genre_predict())\n')
        run_old = [sys.executable, str(script), str(path), '--model', str(b)]
        env = {**os.environ, 'PYTHONPATH': str(Path(old).resolve())}
        subprocess.run(run_old, capture_output=True, env=env)  # warm the old code's caches (numba): not timed
        res['old'] = whole_command(run_old, repeat, env)
    for k, r in res.items():
        print(f"{k:>4}: median {r['median']:.2f} s, min {r['min']:.2f} s over {repeat} runs; peak {r['peak_mib']:.0f} MiB; prints: {r['output']}")
    if old: print(f"new against old: {res['old']['median']/res['new']['median']:.1f}x faster (medians)")
    parts = stages(path)
    print("in this process, the model loaded: " + ', '.join(f"{k} {v:.3f} s" for k, v in parts.items()))
    save_json(json_out, file=path.name, repeat=repeat, start=start, end=machine(), stages=parts,
              old_commit=(subprocess.run(['git', '-C', old, 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True).stdout.strip() if old else None),
              **{k: {kk: vv for kk, vv in r.items() if kk != 'runs'} | {'runs': r['runs']} for k, r in res.items()})
