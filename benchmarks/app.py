"""How long a visitor of `genre_app` waits for the answer about a 30-second file, beside `genre_predict` on the same file.

    python benchmarks/app.py                          # gtzan blues.00000.wav from the real data, the default model
    python benchmarks/app.py --model DIR --file F     # any bundle, any file
    python benchmarks/app.py --json_out nbs/results/app_speed.json   # also write the measurements (12 reads them)

Three measurements, each the median and minimum of `--repeat` runs:
- `respond`: everything the page does for a file (the analysis, both charts, the four downloads), in-process with
  the model loaded and warmed up by one call first; and of it, `analyse_file` alone;
- through the server: `genre_app` started as a visitor starts it, then the file uploaded with Gradio's own client
  until the answer is back (upload, queue, analysis, the answer sent), each run under a new name, so that no run is
  answered from the analyses the server remembers; and four uploads sent at once, until the last answer (one run),
  with the server's default of one analysis at a time and again with `--concurrency 2`;
- the whole command `genre_predict FILE --model MODEL --tags`, start-up included: the wait without a server.
The load average is printed because the figures depend on what else the machine is doing.
"""
import json, os, shutil, signal, socket, subprocess, sys, tempfile, time
from pathlib import Path
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
import numpy as np, soundfile as sf
from fastcore.script import call_parse
from genre_nbdev.core import real_data
from genre_nbdev.demo import synth_track
from genre_nbdev.app import load_model, analyse_file, respond

def timed(f, repeat:int)->list:
    "Wall times of `repeat` calls of `f`."
    out = []
    for _ in range(repeat):
        t = time.perf_counter(); f(); out.append(time.perf_counter() - t)
    return out

def summary(times:list)->dict:
    return dict(median=float(np.median(times)), min=float(min(times)))

def free_port()->int:
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def through_server(model:str, path:Path, repeat:int, tmp:Path, concurrency:int=1)->tuple:
    "Seconds from the start of an upload to the answer through a running `genre_app`, for `repeat` uploads; then for four at once."
    from gradio_client import Client, handle_file
    port = free_port()
    p = subprocess.Popen(['genre_app', '--model', model, '--port', str(port), '--concurrency', str(concurrency)],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        while not (line := p.stdout.readline()).startswith('genre_app: serving'):
            if not line: sys.exit("genre_app did not start")
        client = Client(f'http://127.0.0.1:{port}', verbose=False)
        copies = [shutil.copy(path, tmp/f'{path.stem}-{concurrency}-{i}{path.suffix}') for i in range(repeat + 5)]
        client.predict(handle_file(str(copies.pop())), api_name='/upload')  # the client's own first request
        one = timed(lambda: client.predict(handle_file(str(copies.pop())), api_name='/upload'), repeat)
        t = time.perf_counter()
        jobs = [client.submit(handle_file(str(c)), api_name='/upload') for c in copies]
        assert all(j.result()[1].startswith('Analysed') for j in jobs)
        return one, time.perf_counter() - t
    finally: p.send_signal(signal.SIGTERM); p.wait(60)

@call_parse
def main(
    model:str='default',  # the bundle the page serves: a folder, or 'default'
    file:str=None,        # a ~30-s audio file (default: gtzan blues.00000.wav from the real data, else a demo track)
    repeat:int=5,         # runs of the page's measurements
    repeat_cmd:int=3,     # runs of the whole command
    json_out:str=None,    # also write the measurements to this JSON file
):
    "How long a visitor waits for the answer about a 30-second file, beside `genre_predict` on the same file."
    tmp, data = Path(tempfile.mkdtemp()), real_data()
    path = Path(file) if file else data/'gtzan/genres_original/blues/blues.00000.wav' if data else None
    if path is None:
        path = tmp/'demo-rock.wav'; sf.write(path, synth_track('rock', np.random.default_rng(0)), 22050)
    load_start = os.getloadavg()[0]
    print(f"file {path} ({sf.info(str(path)).duration:.1f} s); model {model}; {os.cpu_count()} cores, load average {load_start:.2f} at start")
    m = load_model(model)
    respond(m, path, folder=tmp)  # warm-up, as the server does before it serves
    page, analysis = timed(lambda: respond(m, path, folder=tmp), repeat), timed(lambda: analyse_file(m, path), repeat)
    print(f"the page's answer, in-process (respond): median {np.median(page):.2f} s, min {min(page):.2f} s over {repeat} runs")
    print(f"  of which the analysis (analyse_file): median {np.median(analysis):.2f} s")
    server, four = through_server(model, path, repeat, tmp)
    print(f"through the server, upload to answer (gradio_client): median {np.median(server):.2f} s, min {min(server):.2f} s over {repeat} runs")
    four_2 = through_server(model, path, 1, tmp, concurrency=2)[1]
    print(f"four uploads at once, until the last answer: {four:.2f} s one at a time (--concurrency 1), {four_2:.2f} s two at a time")
    cmd = ['genre_predict', str(path), '--model', model, '--tags']
    command = timed(lambda: subprocess.run(cmd, check=True, capture_output=True), repeat_cmd)
    print(f"the whole command `genre_predict FILE --model MODEL --tags`: median {np.median(command):.2f} s, min {min(command):.2f} s over {repeat_cmd} runs")
    load_end = os.getloadavg()[0]
    print(f"load average {load_end:.2f} at end")
    shutil.rmtree(tmp, ignore_errors=True)
    if json_out: Path(json_out).write_text(json.dumps(dict(
        file=path.name, bundle=Path(model).name, repeat=repeat, repeat_cmd=repeat_cmd, cores=os.cpu_count(),
        load_start=load_start, load_end=load_end,
        **{f'respond_{k}': v for k, v in summary(page).items()}, **{f'analyse_{k}': v for k, v in summary(analysis).items()},
        **{f'server_{k}': v for k, v in summary(server).items()}, four_at_once=four, four_at_once_2=four_2, **{f'command_{k}': v for k, v in summary(command).items()}), indent=1))
