"""``make docs``: one HTML page per notebook, figures embedded, an index."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _render_docs():
    spec = importlib.util.spec_from_file_location(
        "render_docs", ROOT / "tools" / "render_docs.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    _render_docs().render(out, NOTEBOOKS)
    return out


def _images(path: Path) -> int:
    nb = nbformat.read(path, as_version=4)
    return sum(
        "image/png" in out.get("data", {})
        for cell in nb.cells
        for out in cell.get("outputs", [])
    )


def test_index_lists_every_notebook_in_series_order(site):
    index = (site / "index.html").read_text()
    links = re.findall(r'<a href="([^"]+)">', index)
    assert links == [f"{p.stem}.html" for p in NOTEBOOKS]
    titles = re.findall(r'<a href="[^"]+">([^<]+)</a>', index)
    assert titles[0].startswith("00 ")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_notebook_has_its_page_with_its_figures(site, path):
    page = (site / f"{path.stem}.html").read_text()
    embedded = re.findall(
        r'<img[^>]+src="data:image/png;base64,[^"]{100}', page
    )
    assert len(embedded) == _images(path)
    assert "You will learn" in page


def test_title_falls_back_to_the_file_name():
    render_docs = _render_docs()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("x")])
    assert render_docs.title_of(nb, "07_x") == "07_x"
