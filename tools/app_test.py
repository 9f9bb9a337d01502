"""Drive `genre_app` in headless Chromium as visitors would, and check what they see.

    python tools/app_test.py [--model default|BUNDLE] [--shots DIR, default _site]

Starts `genre_app --model MODEL --max_mb 20` on a free port (its HTTP proxy settings pointed at a local recorder,
so any request the server itself sends out is caught), and at the same time runs
`genre_predict FILE --format json --timeline --tags` on the file it will upload. Then:
- uploads a real recording (../shared/data/other_music, or $GENRE_NBDEV_DATA; where absent, a demo track it
  writes itself), waits for the answer, and checks that the genre, the table of windows and the tags shown, and the
  JSON offered for download, agree with `genre_predict` on the same file, window by window; that both charts are
  drawn;
- uploads a corrupt file and checks for a message naming it, without a traceback;
- uploads a file over the size limit and checks that it is refused with a message, not analysed;
- starts four uploads at once, in four browser contexts (one file dropped on the page, three picked), and checks
  that all four are answered;
- clicks a demo example at a phone's width (420 px), and checks that the page does not scroll sideways;
- checks that no uploaded file is left in the server's upload folder, and that the folder is gone once the server
  is stopped (SIGTERM);
- records every request of every page and fails on any to a host other than 127.0.0.1 (blob: and data: URLs
  stay in the browser), and on any request the server sent to its proxy (the server runs at least `ALIVE_S`
  seconds, since some libraries send their usage events a while after they start).
Screenshots: <shots>/app-desktop.png and <shots>/app-phone.png. Prints one PASS/FAIL line per check and exits 1 if
any failed. Chromium: $CHROMIUM, else /usr/bin/chromium.
"""
import base64, json, mimetypes, os, re, signal, socket, socketserver, subprocess, sys, tempfile, threading, time
from pathlib import Path
from urllib.parse import urlsplit
import numpy as np, soundfile as sf
from playwright.sync_api import sync_playwright
from fastcore.script import call_parse

FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync']
DESKTOP, PHONE = dict(width=1280, height=900), dict(width=420, height=860)
WAIT_MS = 180_000  # the longest wait for one answer (a 144-s file on a busy 2-core machine)
MAX_MB = 20        # the upload limit the app is started with, so a file over it is quick to make
ALIVE_S = 90       # the server runs at least this long: onnxruntime, for one, sends its usage events about a minute after it starts
ANSWERED = """name => { const m = document.querySelector('#message')?.innerText || '';
  return m.includes(name) && /nalysed/.test(m) && !/processing/.test(m); }"""  # 'Analysed NAME' or 'NAME cannot be analysed'
OVERFLOW = """() => {
  const w = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w + 1
      && getComputedStyle(e).display !== 'none').slice(0, 3)
    .map(e => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${e.className ? '.' + String(e.className).split(' ')[0] : ''}`);
  return {over: document.documentElement.scrollWidth - w, wide};
}"""
CHARTS = "() => ['#timeline', '#taggram'].every(s => document.querySelector(s + ' img')?.complete && document.querySelector(s + ' img').naturalWidth > 0)"
WINDOWS = """() => [...document.querySelectorAll('#windows tbody tr')].map(r => [...r.querySelectorAll('td')].map(td => td.innerText.trim()))
  .filter(r => r.length >= 4)"""

results = []
def check(name, ok, why=''):
    "Record and print one check."
    results.append(bool(ok))
    print(f"{'PASS' if ok else 'FAIL'}: app: {name}" + (f" ({why})" if why and not ok else ''), flush=True)

def free_port()->int:
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

class Recorder(socketserver.ThreadingTCPServer):
    "A stand-in HTTP proxy that answers nothing and remembers the first line of every request sent to it."
    daemon_threads = allow_reuse_address = True
    def __init__(self):
        self.seen = []
        class H(socketserver.StreamRequestHandler):
            def handle(h): self.seen.append(h.rfile.readline(500).decode(errors='replace').strip())
        super().__init__(('127.0.0.1', 0), H)

def real_file(data:Path|None, tmp:Path)->Path:
    "A real recording from other_music, else a 30-s demo track written to `tmp`."
    if data and (f := data/'other_music'/'sectoid_metal_madness.ogg').exists(): return f
    from genre_nbdev.demo import synth_track
    sf.write(tmp/'demo-rock.wav', synth_track('rock', np.random.default_rng(5)), 22050)
    return tmp/'demo-rock.wav'

def start_app(model:str, env:dict)->tuple:
    "Start genre_app on a free port; (process, port, work folder) once it says it serves."
    port = free_port()
    p = subprocess.Popen(['genre_app', '--model', model, '--port', str(port), '--max_mb', str(MAX_MB)], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    while not (lines and lines[-1].startswith('genre_app: serving')):
        lines.append(p.stdout.readline())
        if not lines[-1]: sys.exit(f"FAIL: app: genre_app did not start:\n{''.join(lines)}")
    threading.Thread(target=lambda: [print('  server:', l.rstrip()) for l in p.stdout if 'cannot be analysed' not in l], daemon=True).start()
    work = next(l for l in lines if 'uploads in ' in l).split('uploads in ')[1].split(',')[0]
    return p, port, Path(work)

def open_page(browser, url:str, viewport:dict, requests:list):
    "A page of its own context, every request it makes recorded."
    ctx = browser.new_context(viewport=viewport)
    ctx.on('request', lambda r: requests.append(r.url))
    page = ctx.new_page()
    page.goto(url, wait_until='load')
    page.wait_for_selector('#audio')
    return page

def upload(page, path:Path):
    "Give the file input a file, as picking one does."
    page.locator('#audio input[type=file]').set_input_files(str(path))

def drop(page, path:Path):
    "Drop a file on the file input, as dragging one from a file manager does."
    data = page.evaluate_handle("""([b64, name, type]) => { const dt = new DataTransfer();
        dt.items.add(new File([Uint8Array.from(atob(b64), c => c.charCodeAt(0))], name, {type})); return dt; }""",
        [base64.b64encode(path.read_bytes()).decode(), path.name, mimetypes.guess_type(path.name)[0]])  # as a file manager types it
    for event in ('dragenter', 'dragover', 'drop'): page.locator('#audio button').first.dispatch_event(event, {'dataTransfer': data})

def answer(page, name:str)->dict:
    "Wait for the page's answer about the file `name` and read it."
    page.wait_for_function(ANSWERED, arg=name, timeout=WAIT_MS)
    if page.inner_text('#message').startswith('Analysed'): page.wait_for_function(CHARTS, timeout=30_000)
    return dict(message=page.inner_text('#message'), verdict=page.inner_text('#verdict'), tags=page.inner_text('#tags'),
                windows=page.evaluate(WINDOWS),
                charts=page.evaluate("() => ['#timeline', '#taggram'].map(s => document.querySelector(s + ' img')?.naturalWidth || 0)"),
                files=page.evaluate("() => [...document.querySelectorAll('#files a[href]')].map(a => a.href)"))

def agrees(shown:dict, rec:dict)->list:
    "What differs between the page and `genre_predict`'s record of the same file."
    bad = []
    if shown['verdict'].split('\n')[0].strip() != rec['genre']: bad.append(f"genre {shown['verdict'][:30]!r} vs {rec['genre']}")
    page_w = [(float(s), r) for s, e, r, p in shown['windows']]
    cli_w = [(w['start'], w['genre']) for w in rec['timeline']]
    if page_w != cli_w: bad.append(f"windows differ: {page_w[:3]}... vs {cli_w[:3]}...")
    tags = [t['tag'] for t in rec['tags']]
    if [l for l in shown['tags'].split('\n') if l in tags] != tags: bad.append(f"tags {shown['tags'][:80]!r} vs {tags}")
    return bad

def outside(urls:list)->list:
    "The requests that leave 127.0.0.1."
    return sorted({u for u in urls if not u.startswith(('data:', 'blob:')) and urlsplit(u).hostname not in ('127.0.0.1',)})

def test_files(tmp:Path)->dict:
    "The files a visitor brings besides the real one: a corrupt WAV, one over the upload limit, a short demo track."
    from genre_nbdev.demo import synth_track
    f = dict(corrupt=tmp/'corrupt.wav', big=tmp/'too_big.wav', short=tmp/'demo-short.wav')
    f['corrupt'].write_bytes(b'RIFF' + (10_000_000).to_bytes(4, 'little') + b'WAVEfmt ' + np.random.default_rng(0).bytes(4000))
    sf.write(f['big'], np.zeros(int((MAX_MB + 2)*1e6/2), np.int16), 22050, subtype='PCM_16')
    sf.write(f['short'], synth_track('jazz', np.random.default_rng(3), secs=9), 22050)
    return f

def visit(browser, url:str, real:Path, rec:dict|None, f:dict, shots:Path, requests:list):
    "Everything a visitor does, with a check for each thing the page must get right."
    page = open_page(browser, url, DESKTOP, requests)
    t = time.time(); upload(page, real); shown = answer(page, real.name)
    print(f"  {real.name}: answered in {time.time() - t:.1f} s in the browser: {shown['message']}")
    check(f'a real file ({real.name}) is answered', shown['message'].startswith('Analysed'), shown['message'])
    check('genre, windows and tags agree with genre_predict', rec and not agrees(shown, rec), rec and '; '.join(agrees(shown, rec)))
    check('both charts are drawn', all(w > 0 for w in shown['charts']), shown['charts'])
    dl = next((u for u in shown['files'] if u.split('?')[0].endswith('.json')), None)
    got = json.loads(page.request.get(dl).text())['tracks'][0] if dl else {}
    check("the JSON download is genre_predict's record", rec and {**got, 'path': rec['path']} == rec and got.get('path') == real.name,
          f"{dl}: {str(got)[:120]}")
    page.screenshot(path=str(shots/'app-desktop.png'), full_page=True)
    upload(page, f['corrupt']); bad = answer(page, f['corrupt'].name)
    check('a corrupt file gives a message naming it, no traceback',
          bad['message'].startswith('corrupt.wav cannot be analysed') and 'Traceback' not in page.inner_text('body'), bad['message'])
    upload(page, f['big'])
    page.wait_for_function("() => /exceed the maximum allowed size/.test(document.body.innerText)", timeout=60_000)
    refusal = next(l for l in page.inner_text('body').splitlines() if 'exceed the maximum allowed size' in l)
    check(f'a file over {MAX_MB} MB is refused with a message', 'too_big.wav' in refusal and 'too_big' not in page.inner_text('#message'), refusal)
    pages = [open_page(browser, url, DESKTOP, requests) for _ in range(4)]
    t = time.time()
    drop(pages[0], f['short'])  # one visitor drags the file in, the others pick it
    for p in pages[1:]: upload(p, f['short'])
    four = [answer(p, f['short'].name)['message'] for p in pages]
    check('a dropped file is answered', four[0].startswith('Analysed demo-short.wav'), four[0])
    check('4 uploads started together are all answered', all(m.startswith('Analysed demo-short.wav') for m in four), four)
    print(f"  4 uploads at once: all answered within {time.time() - t:.1f} s")
    phone = open_page(browser, url, PHONE, requests)
    phone.click('#example-metal'); ex = answer(phone, 'demo-metal.wav')
    check('a demo example is answered', ex['message'].startswith('Analysed demo-metal.wav'), ex['message'])
    o = phone.evaluate(OVERFLOW)
    check('no horizontal overflow at 420 px', o['over'] <= 0, f"{o['over']} px too wide ({', '.join(o['wide'])})")
    phone.screenshot(path=str(shots/'app-phone.png'), full_page=True)

@call_parse
def main(
    model:str='default', # the bundle genre_app serves: a folder, or 'default'
    shots:str='_site',   # folder for the screenshots
):
    "Drive genre_app in headless Chromium and check what visitors see."
    from genre_nbdev.core import real_data
    tmp, shots, proxy, requests = Path(tempfile.mkdtemp()), Path(shots), Recorder(), []
    shots.mkdir(parents=True, exist_ok=True)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    purl = f'http://127.0.0.1:{proxy.server_address[1]}'
    env = {**os.environ, **{k: purl for k in ('HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'all_proxy')},
           'NO_PROXY': '127.0.0.1,localhost', 'no_proxy': '127.0.0.1,localhost'}
    real, files = real_file(real_data(), tmp), test_files(tmp)
    cli = subprocess.Popen(['genre_predict', str(real), '--model', model, '--format', 'json', '--timeline', '--tags'],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    t0 = time.time()
    try: app, port, work = start_app(model, env)
    except SystemExit: cli.kill(); raise
    print(f"genre_app started in {time.time() - t0:.0f} s on port {port}; real file {real.name}")
    out, err = cli.communicate(timeout=600)
    rec = json.loads(out)['tracks'][0] if cli.returncode == 0 else None
    check('genre_predict --format json --timeline --tags ran on the same file', rec, err.strip()[-200:])
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=os.environ.get('CHROMIUM', '/usr/bin/chromium'), args=FLAGS)
            try: visit(browser, f'http://127.0.0.1:{port}', real, rec, files, shots, requests)
            except Exception as e: check('the visit ran to its end', False, f'{type(e).__name__}: {e}'[:300])
            browser.close()
        names = {real.name, *(f.name for f in files.values())}
        left = [p for p in (work/'uploads').rglob('*') if p.is_file() and p.name in names]
        check('no upload is left on the server', not left, [str(p) for p in left])
        time.sleep(max(0, ALIVE_S - (time.time() - t0)))  # long enough for late usage events to be caught
    finally:
        app.send_signal(signal.SIGTERM)
        app.wait(60)
    check('the upload folder is removed when the server stops', not work.exists(), str(work))
    check('the page requests nothing outside 127.0.0.1', requests and not outside(requests), outside(requests)[:5])
    check('the server sends no request out (its proxy saw none)', not proxy.seen, proxy.seen[:5])
    print(f"{len(requests)} requests recorded; screenshots: {shots/'app-desktop.png'}, {shots/'app-phone.png'}")
    sys.exit(0 if all(results) else 1)
