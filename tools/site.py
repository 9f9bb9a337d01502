"""Build the report's README and site without Quarto, with Pandoc (the engine inside Quarto).

nbdev 2 renders both with Quarto (`nbdev_readme`, `nbdev_docs`, configured by the top-level `_quarto.yml`), and on a
machine with Quarto that stays the way to build them. Machines without it use this script: nbdev's own notebook
processing (`proc_nbs`: hidden cells dropped, `show_doc` rendered, doc links added, streams filtered, the `_proc/`
notebooks Quarto would read), then each notebook written as Pandoc markdown (the Quarto cell options `echo: false`,
`output: false` and `include: false` honoured, empty outputs dropped, figures written as image files) and rendered by
the pandoc binary of the `pypandoc-binary` wheel: attributes, heading anchors, a table of contents per page, math.

    python tools/site.py readme          # write README.md (and its figures under nbs/figures/) from nbs/index.ipynb
    python tools/site.py readme --check  # exit 1 if README.md or its figures are out of date
    python tools/site.py html            # write the offline site to _site/ (a page per notebook, figures as files)
"""
import argparse, base64, functools, hashlib, html, re, shutil, subprocess, sys
from pathlib import Path
import yaml
from execnb.nbio import read_nb
from nbdev.config import get_config
from nbdev.serve import proc_nbs

ROOT = Path(__file__).resolve().parents[1]
DIRECTIVE = re.compile(r'^\s*#\|\s*(.*)$')
ANSI = re.compile(r'\x1b\[[0-9;]*[A-Za-z]')
IMAGES = {'image/png': 'png', 'image/jpeg': 'jpg', 'image/svg+xml': 'svg'}

@functools.cache
def pandoc_path():
    "The pandoc binary: the one shipped by `pypandoc-binary`, else one on PATH."
    try:
        import pypandoc
        return pypandoc.get_pandoc_path()
    except (ImportError, OSError):
        if p := shutil.which('pandoc'): return p
        sys.exit("pandoc not found: `pip install pypandoc-binary` (it is in the dev requirements)")

@functools.cache
def highlighting():
    "Pandoc's option for Pygments-style highlighting (renamed in pandoc 3.8)."
    out = subprocess.run([pandoc_path(), '--version'], capture_output=True, text=True).stdout
    version = tuple(int(v) for v in re.search(r'pandoc\S* (\d+)\.(\d+)', out).groups())
    return '--syntax-highlighting=pygments' if version >= (3, 8) else '--highlight-style=pygments'

def pandoc(md, *args):
    "Run pandoc on Pandoc markdown `md`; its output, or exit naming pandoc's complaint."
    r = subprocess.run([pandoc_path(), '-f', 'markdown', *args], input=md, capture_output=True, text=True)
    if r.returncode: sys.exit(f"pandoc failed: {r.stderr.strip()}")
    return r.stdout

# --- reading processed notebooks ------------------------------------------------------------------------------
def directives(src):
    "Quarto/nbdev cell options of a code cell, and its source without them."
    opts, lines = {}, []
    for l in src.splitlines():
        if m := DIRECTIVE.match(l):
            k, _, v = m[1].partition(':')
            opts[k.strip()] = v.strip()
        else: lines.append(l)
    return opts, '\n'.join(lines).strip('\n')

def frontmatter(nb):
    "Title and description from the raw YAML cell nbdev's processing puts first."
    for c in nb.cells:
        if c.cell_type == 'raw' and c.source.startswith('---'): return yaml.safe_load(c.source.strip('-\n')) or {}
    return {}

def processed(skip=None):
    "Notebooks after nbdev's docs processing, in sidebar order (index first); `skip`: a regex of file names to leave out."
    try: cache = proc_nbs(get_config().nbs_path, n_workers=0, **({'skip_file_re': f'^[_.]|{skip}'} if skip else {}))
    except Exception as e:
        cause = f" ({type(e.__cause__).__name__}: {e.__cause__})" if e.__cause__ else ''
        sys.exit(f"nbdev's docs processing failed: {str(e).splitlines()[0]}{cause}")
    src = Path(get_config().nbs_path)
    nbs = sorted(cache.glob('*.ipynb'), key=lambda p: (p.stem != 'index', p.stem))  # of notebooks still in nbs/:
    return [(p.stem, read_nb(p)) for p in nbs if (src/p.name).exists() and not (skip and re.search(skip, p.name))]

def page_name(nb_file):
    "The page nbdev names a notebook: its lower-cased name without the number prefix (`00_data.ipynb` -> `data.html`)."
    return re.sub(r'^\d+[a-zA-Z0-9]*_', '', Path(nb_file).stem.lower()) + '.html'

def text(o): return ANSI.sub('', ''.join(o) if isinstance(o, list) else (o or ''))

def output(o):
    "One output as (kind, content): 'image' (extension, bytes), 'markdown', 'html' or 'text'; None when empty."
    if o.output_type == 'stream': return ('text', text(o.text).rstrip()) if text(o.text).strip() else None
    if o.output_type == 'error': return 'text', text(o.get('traceback')) if o.get('traceback') else f"{o.ename}: {o.evalue}"
    d = o.get('data', {})
    for mime, ext in IMAGES.items():
        if mime in d:
            raw = text(d[mime])
            return 'image', (ext, raw.encode() if ext == 'svg' else base64.b64decode(raw))
    if text(d.get('text/markdown')).strip(): return 'markdown', text(d['text/markdown']).strip('\n')
    if text(d.get('text/html')).strip():
        h = re.sub(r'<style.*?</style>\s*', '', text(d['text/html']), flags=re.S).strip()
        return ('html', h) if h else None
    if text(d.get('text/plain')).strip(): return 'text', text(d['text/plain']).rstrip()
    return None

def blocks(nb):
    "The notebook as a reader sees it: ('markdown', text), ('code', source) and ('output', kind, content)."
    for c in nb.cells:
        if c.cell_type == 'markdown' and c.source.strip(): yield 'markdown', c.source
        if c.cell_type != 'code': continue
        opts, src = directives(c.source)
        if opts.get('include') == 'false': continue
        if src and opts.get('echo') != 'false': yield 'code', src
        if opts.get('output') == 'false': continue
        for o in c.get('outputs', []):
            if (out := output(o)) is not None: yield ('output', *out)

def fence(s, lang=''):
    "A fenced code block around `s`, its fence longer than any run of backticks inside."
    ticks = '`' * max(3, 1 + max((len(m) for m in re.findall(r'`+', s)), default=0))
    return f"{ticks}{lang}\n{s}\n{ticks}"

def figure(content, folder, prefix):
    "Write an image output to `folder`, named by its content so that reruns agree; its link, `prefix` + name."
    ext, data = content
    name = f"{hashlib.sha1(data).hexdigest()[:12]}.{ext}"
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder/name).exists() or (folder/name).read_bytes() != data: (folder/name).write_bytes(data)
    return prefix + name

SHOWDOC_HEADING = re.compile(r'^(#{2,4}) ([\w.]+)\s*$', re.M)

def anchored(md):
    "`show_doc` headings with nbdev's anchor (the lower-cased name, `_` kept), which its doc links point to."
    return SHOWDOC_HEADING.sub(lambda m: f"{m[1]} {m[2]} {{#{m[2].lower()}}}", md)

# --- README (GitHub markdown) ---------------------------------------------------------------------------------
def readme_links(md, site_url, pages):
    "Links that work on GitHub from the repository root: relative ones into nbs/, the site's to the notebooks."
    def fix(t):
        if t.startswith(site_url):
            page = t[len(site_url):].split('#')[0]
            return f"nbs/{pages.get(page, page)}"
        if re.match(r'^([a-z]+:|#|/)', t): return t
        return 'nbs/' + t
    md = re.sub(r'(\]\()([^)\s]+)', lambda m: m[1] + fix(m[2]), md)
    return re.sub(r'((?:href|src)=")([^"]+)', lambda m: m[1] + fix(m[2]), md)

def readme_problems(md, site_url, root=ROOT):
    "What would look broken on GitHub: links to files that are not there, reprs, links to the unpublished site."
    refs = re.findall(r'\]\(([^)\s]+)\)', md) + re.findall(r'(?:href|src)="([^"]+)"', md)
    missing = sorted({r for r in refs if not re.match(r'^([a-z]+:|#)', r) and not (root/r.split('#')[0]).exists()})
    return ([f"links to missing files: {', '.join(missing)}"] if missing else []) + \
           (["an object repr (<IPython.core.display ...>)"] if '<IPython.core.display' in md else []) + \
           ([f"absolute links to {site_url}"] if site_url and site_url in md else [])

def readme(nb, site_url='', pages=None, figures=ROOT/'nbs'/'figures'):
    "GitHub markdown for one processed notebook; figures written to `figures`, linked relatively."
    fm, parts = frontmatter(nb), []
    if fm: parts += [f"# {fm.get('title', '')}", f"> {fm['description']}" if fm.get('description') else '']
    for kind, *rest in blocks(nb):
        if kind == 'markdown': parts.append(rest[0])
        elif kind == 'code': parts.append(fence(rest[0], 'python'))
        else:
            what, content = rest
            if what == 'image': parts.append(f"![]({figure(content, figures, 'figures/')})")
            elif what in ('markdown', 'html'): parts.append(content)
            else: parts.append(fence(content))
    md = '\n\n'.join(p.strip('\n') for p in parts if p.strip()) + '\n'
    return readme_links(md, site_url, pages or {})

# --- HTML site ------------------------------------------------------------------------------------------------
def page_markdown(nb, figures, prefix):
    "Pandoc markdown for one page: cells and outputs as Quarto marks them up (`.cell`, `.cell-output`)."
    parts = []
    for kind, *rest in blocks(nb):
        if kind == 'markdown': parts.append(rest[0]); continue
        if kind == 'code': parts.append('::: {.cell}\n' + fence(rest[0], 'python') + '\n:::'); continue
        what, content = rest
        if what == 'image': body = f"![]({figure(content, figures, prefix)})"
        elif what == 'markdown': body = anchored(content)
        elif what == 'html': body = '<div class="table-wrap">\n' + fence(content, '{=html}') + '\n</div>' if '<table' in content else fence(content, '{=html}')
        else: body = fence(content)
        parts.append(f'::: {{.cell-output .cell-output-{what}}}\n{body}\n:::')
    return '\n\n'.join(parts) + '\n'

CSS = """*{box-sizing:border-box}
body{margin:0;font:16px/1.55 system-ui,sans-serif;color:#222;overflow-wrap:break-word}
#menu-toggle{display:none}
.menu-button{display:none}
#sidebar{position:fixed;top:0;left:0;bottom:0;width:15rem;overflow:auto;background:#f4f6f8;padding:1rem;border-right:1px solid #ddd}
#sidebar a{display:block;padding:.25rem .4rem;color:#1a5fb4;text-decoration:none;border-radius:4px}
#sidebar a.current{background:#dbe7f6;font-weight:600}
#toc-side{position:fixed;top:0;right:0;bottom:0;width:16rem;overflow:auto;padding:1rem;font-size:14px;border-left:1px solid #eee}
#toc-side ul,.toc-inline ul{list-style:none;padding-left:.8rem;margin:.2rem 0}
#toc-side a,.toc-inline a{color:#444;text-decoration:none}
#toc-side a:hover,.toc-inline a:hover{text-decoration:underline}
.toc-inline{display:none;margin:1rem 0;font-size:14px;background:#f7f7f7;padding:.4rem .8rem;border-radius:4px}
main{margin-left:15rem;margin-right:16rem;max-width:62rem;padding:1rem 2rem 4rem;min-width:0}
h1.title{margin-bottom:.2rem}
.description{font-style:italic;opacity:.75;font-size:125%;margin-top:0}
pre{background:#f7f7f7;padding:.6rem;overflow-x:auto;font-size:13px;max-width:100%}
.cell-output pre,.cell-output pre>code.sourceCode{white-space:pre-wrap}
.cell-output pre>code.sourceCode>span{display:inline}
.cell-output-text pre{background:none;border-left:2px solid lightsalmon}
.cell-output{margin-bottom:1rem}
.cell-output-markdown hr{border:0;border-top:1px solid #ddd}
.table-wrap,.cell-output-markdown table{overflow-x:auto;max-width:100%}
.cell-output-markdown table{display:block}
img{max-width:100%;height:auto}
table{border-collapse:collapse;font-size:14px}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:right}
code{font-size:90%}
math{font-size:110%}
.callout-note,.callout-tip,.callout-important,blockquote{border-left:4px solid #1a5fb4;background:#eef4fb;padding:.2rem 1rem;margin:1rem 0;border-radius:4px}
@media (max-width:1200px){#toc-side{display:none}main{margin-right:0}.toc-inline{display:block}}
@media (max-width:800px){
 #sidebar{position:static;width:auto;display:none;border-right:0;border-bottom:1px solid #ddd}
 #menu-toggle:checked ~ #sidebar{display:block}
 .menu-button{display:block;padding:.6rem 1rem;background:#f4f6f8;border-bottom:1px solid #ddd;cursor:pointer;font-weight:600}
 main{margin-left:0;padding:.5rem 1rem 3rem}
 h1.title{font-size:1.7em}
}
"""

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$pagetitle$</title>
<link rel="icon" href="data:,">
<style>
$if(highlighting-css)$$highlighting-css$$endif$
$css$
</style></head>
<body>
<input type="checkbox" id="menu-toggle"><label class="menu-button" for="menu-toggle">☰ $site$: chapters</label>
<nav id="sidebar"><strong>$site$</strong>
$nav$
</nav>
<nav id="toc-side" aria-label="On this page"><strong>On this page</strong>
$table-of-contents$
</nav>
<main>
<h1 class="title">$title$</h1>
$if(description)$<p class="description">$description$</p>$endif$
<details class="toc-inline"><summary>On this page</summary>
<!--toc-inline-->
</details>
$body$
</main></body></html>
"""

def page(name, nb, pages, site_url, stems, out, tpl):
    "One HTML page: navigation to every page, this page's contents, its cells; figures as files in `out`/figures."
    fm = frontmatter(nb)
    title = fm.get('title', name)
    md = page_markdown(nb, out/'figures', 'figures/')
    nav = '\n'.join(f'<a href="{f}"{" class=current" if f == name else ""}>{html.escape(t)}</a>' for f, t in pages)
    body = pandoc(md, '-t', 'html5', '--standalone', '--template', str(tpl), '--toc', '--toc-depth=3', '--mathml',
                  highlighting(), '-V', f'nav={nav}', '-V', f'site={get_config().lib_name}',
                  '-M', f'title={title}', '-M', f'pagetitle={title}', '-M', f'description={fm.get("description", "")}')
    toc = re.search(r'<nav id="toc-side".*?</strong>\n(.*?)</nav>', body, re.S)[1]
    body = body.replace('<!--toc-inline-->', re.sub(r' id="[^"]*"', '', toc))  # a copy for narrow screens, without ids
    body = body.replace(site_url, '')
    return re.sub(r'href="([\w-]+)\.(?:ipynb|html)', lambda m: f'href="{stems.get(m[1], m[1] + ".html")}', body)

def copy_local(body, out, src):
    "Copy the local files a page links to as images (e.g. `results/confusion_30s.png`) from `src` into `out`."
    for ref in re.findall(r'<img[^>]* src="([^":#?]+)"', body):
        if (f := src/ref).is_file() and not (out/ref).exists():
            (out/ref).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(f, out/ref)

def build_html(out, skip=None):
    cfg, nbs = get_config(), processed(skip)
    site_url = cfg.doc_host.rstrip('/') + cfg.doc_baseurl.rstrip('/') + '/'
    names = [frontmatter(nb).get('output-file', f'{s}.html') for s, nb in nbs]  # nbdev's names: 00_data -> data.html
    pages = [(f, frontmatter(nb).get('title', s)) for f, (s, nb) in zip(names, nbs)]
    if (out/'figures').exists(): shutil.rmtree(out/'figures')
    out.mkdir(parents=True, exist_ok=True)
    stems = {s: f for f, (s, _) in zip(names, nbs)}  # links may name a notebook (`00_data.ipynb`), as Quarto allows
    tpl = out/'.template.html'
    tpl.write_text(TEMPLATE.replace('$css$', CSS))
    for f, (_, nb) in zip(names, nbs):
        body = page(f, nb, pages, site_url, stems, out, tpl)
        copy_local(body, out, cfg.config_path/'_proc')
        (out/f).write_text(body)
    tpl.unlink()
    return [out/f for f in names]

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('what', choices=['readme', 'html'])
    ap.add_argument('--check', action='store_true', help='readme: fail if README.md or its figures differ')
    ap.add_argument('--out', default=str(ROOT/'_site'), help='html: output folder')
    ap.add_argument('--skip', help='html: leave out notebooks whose file name matches this regex (e.g. a draft)')
    a = ap.parse_args()
    if a.what == 'html':
        for p in build_html(Path(a.out), a.skip): print(p)
        return
    cfg, nbs = get_config(), processed(skip=r'^(?!index\.ipynb$)')  # only the front page: a draft chapter cannot stop it
    site_url = cfg.doc_host.rstrip('/') + cfg.doc_baseurl.rstrip('/') + '/'
    pages = {page_name(p.name): p.name for p in Path(cfg.nbs_path).glob('*.ipynb')}  # data.html -> 00_data.ipynb
    figures = ROOT/'nbs'/'figures'
    if a.check:
        import tempfile
        tmp = Path(tempfile.mkdtemp())
        new = readme(dict(nbs)['index'], site_url, pages, tmp)
        stale = [f.name for f in tmp.iterdir() if not (figures/f.name).is_file() or (figures/f.name).read_bytes() != f.read_bytes()]
        if (ROOT/'README.md').read_text() != new or stale:
            sys.exit("README.md is out of date with nbs/index.ipynb: run `python tools/site.py readme`")
        print("README.md agrees with nbs/index.ipynb")
    else:
        (ROOT/'README.md').write_text(new := readme(dict(nbs)['index'], site_url, pages, figures))
        for f in figures.glob('*'):
            if f'figures/{f.name}' not in new: f.unlink()  # figures of earlier versions
    if problems := readme_problems(new, site_url): sys.exit(f"README.md: {'; '.join(problems)}")

if __name__ == '__main__': main()
