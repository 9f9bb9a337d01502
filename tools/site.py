"""Build the report's README and site without Quarto.

nbdev 2 renders both with Quarto (`nbdev_readme`, `nbdev_docs`, configured by the top-level `_quarto.yml`).
Machines without Quarto use this script instead: nbdev's own notebook processing (`proc_nbs`: hidden cells
dropped, `show_doc` rendered, links added), then a small renderer that honours the Quarto cell options the
notebooks use (`echo: false`, `output: false`).

    python tools/site.py readme          # write README.md from nbs/index.ipynb
    python tools/site.py readme --check  # exit 1 if README.md is out of date
    python tools/site.py html            # write the offline site to _site/ (one self-contained page per notebook)
"""
import argparse, base64, html, re, sys
from pathlib import Path
import yaml
from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer
from execnb.nbio import read_nb
from nbdev.config import get_config
from nbdev.serve import proc_nbs

ROOT = Path(__file__).resolve().parents[1]
MD = MarkdownIt('commonmark', {'html': True}).enable('table')
DIRECTIVE = re.compile(r'^\s*#\|\s*(.*)$')

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

def processed():
    "Notebooks after nbdev's docs processing, in sidebar order (index first)."
    cache = proc_nbs(get_config().nbs_path, n_workers=0)
    nbs = sorted(cache.glob('*.ipynb'), key=lambda p: (p.stem != 'index', p.stem))
    return [(p.stem, read_nb(p)) for p in nbs]

def text(o): return ''.join(o) if isinstance(o, list) else (o or '')

# --- README (GitHub markdown) --------------------------------------------------------------------------------
def md_output(o):
    if o.output_type == 'stream': return f"```\n{text(o.text).rstrip()}\n```"
    d = o.get('data', {})
    if 'text/markdown' in d: return text(d['text/markdown'])
    if 'text/html' in d and '<table' in text(d['text/html']): return re.sub(r'<style.*?</style>\s*', '', text(d['text/html']), flags=re.S)
    if 'text/plain' in d: return f"```\n{text(d['text/plain']).rstrip()}\n```"
    return ''

def readme(nb):
    "GitHub markdown for one processed notebook."
    fm, parts = frontmatter(nb), []
    if fm: parts += [f"# {fm.get('title', '')}", f"> {fm.get('description', '')}" if fm.get('description') else '']
    for c in nb.cells:
        if c.cell_type == 'markdown': parts.append(c.source)
        elif c.cell_type == 'code':
            opts, src = directives(c.source)
            if src and opts.get('echo') != 'false': parts.append(f"```python\n{src}\n```")
            if opts.get('output') != 'false': parts += [md_output(o) for o in c.get('outputs', [])]
    return '\n\n'.join(p.strip('\n') for p in parts if p.strip()) + '\n'

# --- HTML site ------------------------------------------------------------------------------------------------
CSS = """body{margin:0;font:16px/1.55 system-ui,sans-serif;color:#222}
nav{position:fixed;top:0;left:0;bottom:0;width:15rem;overflow:auto;background:#f4f6f8;padding:1rem;border-right:1px solid #ddd}
nav a{display:block;padding:.25rem .4rem;color:#1a5fb4;text-decoration:none;border-radius:4px}
nav a.current{background:#dbe7f6;font-weight:600}
main{margin-left:17rem;max-width:60rem;padding:1rem 2rem 4rem}
pre{background:#f7f7f7;padding:.6rem;overflow:auto;font-size:13px}
.output pre{background:none;border-left:2px solid lightsalmon}
img{max-width:100%}
table{border-collapse:collapse;font-size:14px}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:right}
.description{font-style:italic;opacity:.75;font-size:125%}
"""

def html_output(o):
    if o.output_type == 'stream': return f"<pre>{html.escape(text(o.text))}</pre>"
    if o.output_type == 'error': return f"<pre>{html.escape(o.get('ename', ''))}: {html.escape(o.get('evalue', ''))}</pre>"
    d = o.get('data', {})
    if 'image/png' in d: return f'<img alt="figure" src="data:image/png;base64,{text(d["image/png"]).strip()}">'
    if 'text/html' in d: return text(d['text/html'])
    if 'text/markdown' in d: return MD.render(text(d['text/markdown']))
    if 'text/plain' in d: return f"<pre>{html.escape(text(d['text/plain']))}</pre>"
    return ''

def html_cell(c):
    if c.cell_type == 'markdown': return MD.render(c.source)
    if c.cell_type != 'code': return ''
    opts, src = directives(c.source)
    out = [highlight(src, PythonLexer(), HtmlFormatter())] if src and opts.get('echo') != 'false' else []
    if opts.get('output') != 'false': out += [f'<div class="output">{html_output(o)}</div>' for o in c.get('outputs', [])]
    return '\n'.join(out)

def page(name, nb, pages, site_url, stems):
    "One self-contained HTML page: navigation to every page, the notebook's cells, figures inline."
    fm = frontmatter(nb)
    title = fm.get('title', name)
    nav = '\n'.join(f'<a href="{f}"{" class=current" if f == name else ""}>{html.escape(t)}</a>' for f, t in pages)
    body = '\n'.join(html_cell(c) for c in nb.cells).replace(site_url, '')
    body = re.sub(r'href="([\w-]+)\.(?:ipynb|html)', lambda m: f'href="{stems.get(m[1], m[1] + ".html")}', body)
    desc = f'<p class="description">{html.escape(fm["description"])}</p>' if fm.get('description') else ''
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<link rel="icon" href="data:,">
<style>{CSS}{HtmlFormatter().get_style_defs('.highlight')}</style></head>
<body><nav><strong>genre_nbdev</strong>\n{nav}</nav>
<main><h1>{html.escape(title)}</h1>{desc}\n{body}</main></body></html>
"""

def build_html(out):
    cfg, nbs = get_config(), processed()
    site_url = cfg.doc_host.rstrip('/') + cfg.doc_baseurl.rstrip('/') + '/'
    names = [frontmatter(nb).get('output-file', f'{s}.html') for s, nb in nbs]  # nbdev's names: 00_data -> data.html
    pages = [(f, frontmatter(nb).get('title', s)) for f, (s, nb) in zip(names, nbs)]
    out.mkdir(parents=True, exist_ok=True)
    stems = {s: f for f, (s, _) in zip(names, nbs)}  # links may name a notebook (`00_data.ipynb`), as Quarto allows
    for f, (_, nb) in zip(names, nbs): (out/f).write_text(page(f, nb, pages, site_url, stems))
    return [out/f for f in names]

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('what', choices=['readme', 'html'])
    ap.add_argument('--check', action='store_true', help='readme: fail if README.md differs')
    ap.add_argument('--out', default=str(ROOT/'_site'), help='html: output folder')
    a = ap.parse_args()
    if a.what == 'html':
        for p in build_html(Path(a.out)): print(p)
        return
    nb = dict(processed())['index']
    new, path = readme(nb), ROOT/'README.md'
    if a.check:
        if path.read_text() != new: sys.exit("README.md is out of date with nbs/index.ipynb: run `python tools/site.py readme`")
        print("README.md agrees with nbs/index.ipynb")
    else: path.write_text(new)

if __name__ == '__main__': main()
