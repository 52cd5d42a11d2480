"""Render the executed notebooks to a static HTML site (``make docs``).

    python tools/render_docs.py [--out site]

One page per ``notebooks/NN_name.ipynb`` (``NN_name.html``, nbconvert's
HTML exporter, ``lab`` template, figures embedded as data URIs so a page
is one self-contained file) and ``index.html`` listing the series in name
order with each notebook's title (its first ``# `` heading). The stored
outputs are rendered as they are: run ``make notebooks`` first to refresh
them. Widgets show as their static figure above them (no widget state is
stored).
"""

from __future__ import annotations

import argparse
import html
import sys
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


def title_of(nb: nbformat.NotebookNode, fallback: str) -> str:
    """The text of the first ``# `` heading of the first markdown cell."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            if line.startswith("# "):
                return line[2:].strip()
    return fallback


def index_page(entries: list[tuple[str, str]]) -> str:
    """``index.html``: the series as an ordered list of ``(href, title)``."""
    items = "\n".join(
        f'    <li><a href="{html.escape(href)}">{html.escape(title)}</a>'
        f" <code>{html.escape(href.removesuffix('.html'))}</code></li>"
        for href, title in entries
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>fake-jepa-ebm: the notebook series</title>
  <style>
    body {{ font-family: sans-serif; max-width: 46em; margin: 2em auto; }}
    li {{ margin: 0.4em 0; }}
    code {{ color: #666; font-size: 0.85em; }}
  </style>
</head>
<body>
  <h1>fake-jepa-ebm: the notebook series</h1>
  <p>JEPA and energy-based models with a toy text model that really
  runs. Read the notebooks in this order; each was executed offline
  and its outputs are shown as stored.</p>
  <ol>
{items}
  </ol>
</body>
</html>
"""


def render(out: Path, notebooks: list[Path]) -> list[Path]:
    """Write one page per notebook and the index into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    exporter = HTMLExporter(template_name="lab")
    entries, pages = [], []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        body, _ = exporter.from_notebook_node(nb)
        page = out / f"{path.stem}.html"
        page.write_text(body, encoding="utf-8")
        entries.append((page.name, title_of(nb, path.stem)))
        pages.append(page)
    index = out / "index.html"
    index.write_text(index_page(entries), encoding="utf-8")
    return [index, *pages]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "site")
    args = parser.parse_args(argv)
    notebooks = sorted(NOTEBOOKS.glob("*.ipynb"))
    if not notebooks:
        print("no notebook to render", file=sys.stderr)
        return 1
    for page in render(args.out, notebooks):
        print(f"wrote {page.relative_to(args.out.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
