"""Speed of `genre_predict` on one 30-second file: in-process with a loaded bundle, and the whole command.

    python benchmarks/predict.py                         # blues.00000.wav from the real data, an FFNN bundle
    python benchmarks/predict.py --model DIR --file F    # any bundle (e.g. genre_reproduce's bundle-cnn-track), any file
    python benchmarks/predict.py --json_out nbs/results/predict_speed.json   # also write the measurements (07 reads them)

In-process: `predict_file(model, path)` with the bundle already loaded (decode in blocks, ten segments'
`extract_features`, one `predict_proba`), after one warm-up call (numba compilation, Keras tracing); the median and
minimum of `--repeat` runs, and where the time goes (decode, features, network). Whole command: the installed
`genre_predict FILE --model BUNDLE` as a subprocess, wall time from spawn to exit, start-up (Python, TensorFlow,
the bundle) included; median and minimum of `--repeat` runs. Also, side by side, the features of an ensemble
bundle with a sequence member (the 58 columns and the frames of every segment): each input from its own
`analyse`, and both from one. Targets from issue 6: <= 0.5 s and <= 10 s. They are
printed beside the measurements, never asserted. Without `--model` the benchmark saves an untrained FFNN of the
report's architecture as a bundle: the weights do not change the work. The load average is printed because the
figures depend on what else the machine is doing.
"""
import json, os, subprocess, sys, tempfile, time, warnings
from pathlib import Path
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
import numpy as np

from genre_nbdev.data import SR, real_data, decode, is_silent

from genre_nbdev.tables import FEATURES
from genre_nbdev.demo import demo_dataset
from genre_nbdev.predict import predict_file, track_segments
from genre_nbdev.features import analyse, extract_features, frame_features
from fastcore.script import call_parse

def ffnn_bundle(dest:Path)->Path:
    "Save an untrained FFNN of the report's architecture as a bundle (same work as a trained one)."
    from genre_nbdev.ffnn import build_ffnn
    from genre_nbdev.bundle import GenreModel, versions
    info = dict(model='ffnn', note='untrained, for timing only', versions=versions())
    return GenreModel(build_ffnn(), np.zeros(len(FEATURES)), np.ones(len(FEATURES)), info=info).save(dest)

def timed(f, repeat:int)->list:
    "Wall times of `repeat` calls of `f`."
    out = []
    for _ in range(repeat):
        t = time.perf_counter(); f(); out.append(time.perf_counter() - t)
    return out

def stages(model, path)->dict:
    "Seconds spent decoding and segmenting, computing features, and in the network, for one file."
    t0 = time.perf_counter(); segs = [s for s in track_segments(path) if not is_silent(s)]
    t1 = time.perf_counter(); X = np.stack([extract_features(s) for s in segs])
    t2 = time.perf_counter(); model.predict_proba(X)
    t3 = time.perf_counter()
    return {'decode + segment': t1 - t0, f'features ({len(segs)} segments)': t2 - t1, 'network': t3 - t2}

def both_inputs(path, repeat:int)->tuple:
    "Median seconds for both inputs of a file's segments (58 features and frames): two analyses, and one shared by both."
    segs = [s for s in track_segments(path) if not is_silent(s)]
    two = timed(lambda: [(extract_features(s), frame_features(s)) for s in segs], repeat)
    one = timed(lambda: [(extract_features(s, parts=p), frame_features(s, parts=p)) for s in segs for p in [analyse(s)]], repeat)
    return float(np.median(two)), float(np.median(one))

@call_parse
def main(
    model:str=None,  # a model bundle (default: an untrained FFNN bundle, saved to a temporary folder)
    file:str=None,   # a ~30-s audio file (default: gtzan blues.00000.wav from the real data, else a demo track)
    repeat:int=5,    # runs of each measurement
    json_out:str=None, # also write the measurements to this JSON file
):
    "Speed of `genre_predict` on one 30-second file: in-process with a loaded bundle, and the whole command."
    data = real_data()
    path = Path(file) if file else (data/'gtzan/genres_original/blues/blues.00000.wav' if data else demo_dataset()/'genres_original/rock/rock.00000.wav')
    bundle = Path(model) if model else ffnn_bundle(Path(tempfile.mkdtemp())/'bundle-ffnn')
    from genre_nbdev.bundle import load_bundle
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # an untrained bundle's optimizer state is empty
        m = load_bundle(bundle)
    load_start = os.getloadavg()[0]
    print(f"file {path} ({len(decode(path))/SR:.1f} s); bundle {bundle}; {os.cpu_count()} cores, load average {load_start:.2f} at start")
    predict_file(m, path)  # warm-up: numba, Keras tracing
    inproc = timed(lambda: predict_file(m, path), repeat)
    parts = stages(m, path)
    print(f"in-process predict_file: median {np.median(inproc):.2f} s, min {min(inproc):.2f} s over {repeat} runs (target <= 0.5 s)")
    print("  of one run: " + ', '.join(f"{k} {v:.2f} s" for k, v in parts.items()))
    two, one = both_inputs(path, repeat)
    print(f"both inputs of an ensemble bundle with a sequence member (58 features and frames per segment): "
          f"each from its own analysis {two:.2f} s, from one `analyse` {one:.2f} s, ratio {two/one:.2f}x (medians of {repeat})")
    cmd = [str(Path(sys.executable).parent/'genre_predict'), str(path), '--model', str(bundle)]
    whole = timed(lambda: subprocess.run(cmd, check=True, capture_output=True), repeat)
    print(f"whole command `genre_predict FILE --model BUNDLE`: median {np.median(whole):.1f} s, min {min(whole):.1f} s "
          f"over {repeat} runs (target <= 10 s)")
    load_end = os.getloadavg()[0]
    print(f"load average {load_end:.2f} at end")
    if json_out: Path(json_out).write_text(json.dumps(dict(
        file=path.name, bundle='untrained FFNN of the report' if model is None else Path(model).name, repeat=repeat,
        cores=os.cpu_count(), load_start=load_start, load_end=load_end,
        inproc_median=float(np.median(inproc)), inproc_min=min(inproc), stages=parts,
        both_two_analyses=two, both_one_analysis=one, command_median=float(np.median(whole)), command_min=min(whole),
        targets=dict(inproc=0.5, command=10.0)), indent=1))
