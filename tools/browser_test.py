"""Open every page of the offline site in headless Chromium and check what a reader would see.

    python tools/browser_test.py [SITE_DIR, default _site]

Every page, at a desktop width and at a phone width (420 px), must
- load without console errors or failed requests, with every image loaded (non-zero natural size);
- show no raw markup or reprs: no literal `{target=` (Pandoc attributes left unrendered), no `<IPython.core.display`;
- show no `Warning:` text and no traceback in its outputs;
- have no empty output block, no bare `Path(...)` setup value, no DataFrame printed as wrapped text (or "± nan"),
  no stock docstring inherited from Python or Keras ("Call self as a function"), no output cut off at the right;
- link only to pages and files that exist, and for every `#anchor` link have an element with that id on the page
  linked to;
- not overflow horizontally at 420 px (nothing wider than the screen, so no sideways scrolling).
The front page must hold a table, and its navigation must reach every page. Screenshots of the front page are saved
as `<site>/screenshot-index.png` (desktop) and `<site>/screenshot-index-phone.png` (420 px). Prints one PASS/FAIL
line per check (naming the pages and what was found where one fails) and exits 1 if any failed.
Chromium: $CHROMIUM, else /usr/bin/chromium (Debian's `chromium` package).
"""
import os, re, sys
from pathlib import Path
from urllib.parse import urlsplit, unquote
from playwright.sync_api import sync_playwright

FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync']
STOCK = ('Call self as a function', 'Initialize self.  See help', 'Called at the beginning of training.',
         'Called at the end of training.', 'Return repr(self)')  # docstrings a symbol inherits when it has none
DESKTOP, PHONE = dict(width=1280, height=900), dict(width=420, height=860)

# What the page shows, read in the browser: visible text of the content and of the outputs, ids, links, empty outputs
SCAN = """() => {
  const main = document.querySelector('main') || document.body;
  const outs = [...main.querySelectorAll('.cell-output')];
  const hasContent = e => e.innerText.trim() || e.querySelector('img,svg,table,math,canvas,video,iframe');
  return {
    text: main.innerText,
    outputs: outs.map(e => e.innerText),
    textOutputs: [...main.querySelectorAll('.cell-output-text')].map(e => e.innerText),
    cutOff: [...main.querySelectorAll('.cell-output pre')].filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.innerText.slice(0, 60)),
    empty: outs.filter(e => !hasContent(e)).length + [...main.querySelectorAll('pre')].filter(e => !e.innerText.trim()).length,
    ids: [...document.querySelectorAll('[id]')].map(e => e.id),
    anchors: [...document.querySelectorAll('a[href]')].map(a => a.href).filter(h => h.startsWith('file:')),
    nav: [...document.querySelectorAll('#sidebar a')].map(a => a.href),
    tables: main.querySelectorAll('table').length,
    brokenImages: [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.getAttribute('src')),
  };
}"""

# At phone width: how far the page scrolls sideways, and the elements that stick out
OVERFLOW = """() => {
  const w = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w + 1
      && getComputedStyle(e).display !== 'none' && !e.closest('.table-wrap, pre, #sidebar'))
    .slice(0, 3).map(e => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${e.className ? '.' + String(e.className).split(' ')[0] : ''}`);
  return {over: document.documentElement.scrollWidth - w, wide};
}"""

def snippet(text, needle, n=60):
    "The text around the first `needle`, for a failure message."
    i = text.find(needle)
    return ' '.join(text[max(0, i-n):i+n].split())

def visit(browser, url, viewport):
    "Load `url` at `viewport`: the page, what it shows (`SCAN`), and the problems seen loading it."
    page, problems = browser.new_page(viewport=viewport), []
    page.on('console', lambda m: m.type == 'error' and problems.append(f'console error: {m.text}'))
    page.on('pageerror', lambda e: problems.append(f'page error: {e}'))
    page.on('requestfailed', lambda r: problems.append(f'request failed: {r.url}'))
    page.goto(url, wait_until='load')
    seen = page.evaluate(SCAN)
    if seen['brokenImages']: problems.append(f"images did not load: {seen['brokenImages'][:3]}")
    return page, seen, problems

def page_checks(name, seen):
    "{check: problem or ''} for what one page shows."
    text, outs = seen['text'], '\n'.join(seen['outputs'])
    tb = next((m for m in ('Traceback (most recent call last)', 'Cell In[', '---> ') if m in outs), None)
    return {
        'no literal {target= (unrendered Pandoc attributes)': '{target=' in text and snippet(text, '{target='),
        'no <IPython.core.display reprs': '<IPython.core.display' in text and snippet(text, '<IPython.core.display'),
        'no Warning: text': 'Warning:' in text and snippet(text, 'Warning:'),
        'no tracebacks in outputs': tb and snippet(outs, tb),
        'no empty output blocks': seen['empty'] and f"{seen['empty']} empty",
        'no setup values shown (a bare Path(...) output)': next((o[:70] for o in seen['textOutputs'] if re.match(r"\s*(Posix)?Path\('", o)), ''),
        'tables shown as tables (no wrapped DataFrame repr, no "± nan")': next(
            (o[:70] for o in seen['textOutputs'] if re.search(r' \\\n', o + '\n')), '') or ('± nan' in text and snippet(text, '± nan')),
        'no stock docstrings (inherited from Python or Keras)': next((d for d in STOCK if d in text), ''),
        'no output cut off at the right': seen['cutOff'] and f"{len(seen['cutOff'])} outputs, e.g. {seen['cutOff'][0]!r}",
    }

def main(site=Path(sys.argv[1] if len(sys.argv) > 1 else '_site')):
    site = site.resolve()
    pages = sorted(site.glob('*.html'))
    if not pages: sys.exit(f"FAIL: browser: no pages in {site}")
    fails, results = {}, []
    def record(check, page, problem):
        fails.setdefault(check, [])
        if problem: fails[check].append(f'{page}: {problem}')
    ids, anchors = {}, []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=os.environ.get('CHROMIUM', '/usr/bin/chromium'), args=FLAGS)
        for pg in pages:
            page, seen, problems = visit(browser, pg.as_uri(), DESKTOP)
            if pg.name == 'index.html':
                page.screenshot(path=str(site/'screenshot-index.png'), full_page=True)
                results.append(('front page has a table', seen['tables'] > 0, ''))
                reached = {Path(unquote(urlsplit(l).path)).name for l in seen['nav']}
                missing = sorted({q.name for q in pages} - reached)
                results.append(('navigation reaches every page', not missing, f"missing: {missing}" if missing else ''))
            page.close()
            record('pages load cleanly', pg.name, '; '.join(problems[:3]))
            for check, problem in page_checks(pg.name, seen).items(): record(check, pg.name, problem)
            ids[pg.name] = set(seen['ids'])
            anchors += [(pg.name, a) for a in seen['anchors']]
            page = browser.new_page(viewport=PHONE)
            page.goto(pg.as_uri(), wait_until='load')
            o = page.evaluate(OVERFLOW)
            record('no horizontal overflow at 420 px', pg.name, o['over'] > 0 and f"{o['over']} px too wide ({', '.join(o['wide'])})")
            if pg.name == 'index.html': page.screenshot(path=str(site/'screenshot-index-phone.png'), full_page=True)
            page.close()
        browser.close()
    check = 'every local link and #anchor has its target'
    for src, href in anchors:
        u = urlsplit(href)
        path = Path(unquote(u.path))
        if path.suffix == '.html' and path.name not in ids: record(check, src, f'links to {path.name}, not a page of the site')
        elif path.suffix != '.html' and not path.exists(): record(check, src, f'links to {path}, which does not exist')
        elif u.fragment and unquote(u.fragment) not in ids.get(path.name, ()): record(check, src, f'{path.name}#{u.fragment} has no such id')
    fails.setdefault(check, [])
    results += [(check, not probs, '; '.join(p if len(p) < 160 else p[:157] + '...' for p in probs)) for check, probs in fails.items()]
    for name, ok, why in results: print(f"{'PASS' if ok else 'FAIL'}: browser: {name}" + (f" ({why})" if why and not ok else ''))
    print(f"{len(pages)} pages, {len(anchors)} local links checked; screenshots: {site/'screenshot-index.png'}, {site/'screenshot-index-phone.png'}")
    sys.exit(0 if all(ok for _, ok, _ in results) else 1)

if __name__ == '__main__': main()
