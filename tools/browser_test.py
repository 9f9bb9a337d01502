"""Open every page of the offline site in headless Chromium and check what a reader would see.

    python tools/browser_test.py [SITE_DIR, default _site]

Each page must load without console errors or failed requests, every image must have loaded (non-zero natural
size), the front page must hold a table, and following the navigation from the front page must reach every page.
A screenshot of the front page is saved as `<site>/screenshot-index.png`. Prints one PASS/FAIL line per check and
exits 1 if any failed. Chromium: $CHROMIUM, else /usr/bin/chromium (Debian's `chromium` package).
"""
import os, sys
from pathlib import Path
from playwright.sync_api import sync_playwright

FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync']

def check_page(browser, url):
    "Problems seen loading `url`: console errors, failed requests, images that did not load; and its nav links."
    page, problems = browser.new_page(), []
    page.on('console', lambda m: m.type == 'error' and problems.append(f'console error: {m.text}'))
    page.on('pageerror', lambda e: problems.append(f'page error: {e}'))
    page.on('requestfailed', lambda r: problems.append(f'request failed: {r.url}'))
    page.goto(url, wait_until='load')
    broken = page.eval_on_selector_all('img', 'imgs => imgs.filter(i => !(i.complete && i.naturalWidth > 0)).length')
    if broken: problems.append(f'{broken} images did not load')
    links = page.eval_on_selector_all('nav a', 'as => as.map(a => a.href)')
    return page, problems, links

def main(site=Path(sys.argv[1] if len(sys.argv) > 1 else '_site')):
    site = site.resolve()
    pages = sorted(site.glob('*.html'))
    results = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=os.environ.get('CHROMIUM', '/usr/bin/chromium'), args=FLAGS)
        front, problems, links = check_page(browser, (site/'index.html').as_uri())
        front.screenshot(path=str(site/'screenshot-index.png'), full_page=True)
        results.append(('front page has a table', front.locator('main table').count() > 0))
        results.append(('navigation reaches every page', {Path(l.split('#')[0]).name for l in links} == {p.name for p in pages}))
        for pg in pages:
            _, problems, _ = check_page(browser, pg.as_uri())
            results.append((f'{pg.name} loads cleanly' + (f" ({'; '.join(problems)})" if problems else ''), not problems))
        browser.close()
    for name, ok in results: print(f"{'PASS' if ok else 'FAIL'}: browser: {name}")
    sys.exit(0 if all(ok for _, ok in results) else 1)

if __name__ == '__main__': main()
