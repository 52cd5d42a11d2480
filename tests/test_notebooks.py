"""The notebooks are clean, follow the skeleton, and were run in order.

Static checks on the committed ``notebooks/*.ipynb`` (nbval re-executes
them and compares outputs; this file checks what nbval does not):
STYLE.md (a) skeleton, (c) tags, execution counts, clean outputs, and
(e) figures before widgets, no widget state.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
IDS = [p.stem for p in NOTEBOOKS]

ALLOWED_TAGS = {"nbval-ignore-output", "raises-exception"}
#: Most cells per notebook whose output nbval may ignore (widget cells).
MAX_IGNORED = 2
#: Sections every notebook has, in this order (STYLE.md a.2).
SKELETON = (
    "## You will learn",
    "## Prerequisites",
    "## Theory",
    "## Build-up",
    "## Analysis",
    "## Pitfalls",
    "## Summary",
    "## Exercises",
)
#: What no stored output may contain, with the reason.
FORBIDDEN = {
    "absolute path": re.compile(r"(?<![\w.])/(?:home|root|tmp|Users|work)/"),
    "Windows path": re.compile(r"\b[A-Z]:\\\\?(?:Users|home)"),
    "key-like string": re.compile(r"\bsk-[A-Za-z0-9_\-*]{6,}"),
    "port": re.compile(
        r"(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\]):\d+"
        r"|https?://[^\s/'\"]+:\d+|\bport\s*[=:]?\s*\d{2,5}\b",
        re.IGNORECASE,
    ),
    "response or call id": re.compile(
        r"\b(?:resp|call|fc|rs|msg)_[A-Za-z0-9]{6,}"
    ),
    "timing": re.compile(
        r"\b\d+(?:\.\d+)?\s?(?:ms|µs|us|ns|s|secs?|seconds?)\b(?![-\w])"
        r"|\d ?(?:it|B)/s\b|\d\d:\d\d<\d\d:\d\d|Wall time|CPU times",
    ),
}
TEXT_TYPES = ("text/plain", "text/html", "text/markdown", "text/latex")


def load(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def output_texts(cell):
    """Every text a cell's outputs hold (streams, text mimetypes, errors)."""
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            yield out.text
        elif out.output_type == "error":
            yield f"{out.ename}: {out.evalue}"
        else:
            for mime in TEXT_TYPES:
                if mime in out.get("data", {}):
                    yield out.data[mime]


def has_image(cell) -> bool:
    return any(
        "image/png" in out.get("data", {}) for out in cell.get("outputs", [])
    )


def tags(cell) -> list[str]:
    return list(cell.metadata.get("tags", []))


def headings(nb) -> list[str]:
    return [
        line.strip()
        for c in nb.cells
        if c.cell_type == "markdown"
        for line in c.source.splitlines()
        if line.startswith("#")
    ]


def test_there_are_notebooks():
    assert [p.name[:2] for p in NOTEBOOKS][:5] == [
        "00",
        "01",
        "02",
        "03",
        "04",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_file_name_is_nn_topic(path):
    assert re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", path.name), path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_only_allowed_tags(path):
    for n, cell in enumerate(load(path).cells):
        bad = set(tags(cell)) - ALLOWED_TAGS
        assert not bad, f"{path.name} cell {n}: tags {sorted(bad)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_ignored_outputs_are_rare_and_only_widgets(path):
    nb = load(path)
    ignored = [c for c in nb.cells if "nbval-ignore-output" in tags(c)]
    assert len(ignored) <= MAX_IGNORED, f"{path.name}: {len(ignored)}"
    for cell in ignored:
        assert re.search(r"_explorer\(|interact", cell.source), (
            f"{path.name}: nbval-ignore-output on a cell that shows no "
            f"widget:\n{cell.source}"
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_widgets_come_after_their_static_figure(path):
    cells = code_cells(load(path))
    for n, cell in enumerate(cells):
        if "nbval-ignore-output" in tags(cell):
            assert n > 0 and has_image(cells[n - 1]), (
                f"{path.name}: the widget cell\n{cell.source}\nis not "
                "preceded by a cell showing its static figure"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_errors_only_in_raises_exception_cells(path):
    for cell in code_cells(load(path)):
        errors = [o for o in cell.outputs if o.output_type == "error"]
        tagged = "raises-exception" in tags(cell)
        assert bool(errors) == tagged, (
            f"{path.name}: "
            f"{'untagged error' if errors else 'tag without error'}"
            f" in\n{cell.source}"
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_execution_counts_run_one_to_n(path):
    cells = code_cells(load(path))
    counts = [c.execution_count for c in cells]
    assert counts == list(
        range(1, len(cells) + 1)
    ), f"{path.name}: execution counts {counts}; run `make notebooks`"
    for cell in cells:
        for out in cell.outputs:
            if out.output_type == "execute_result":
                assert out.execution_count == cell.execution_count


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_outputs_hold_nothing_private_or_unstable(path):
    for cell in code_cells(load(path)):
        if "nbval-ignore-output" in tags(cell):
            continue  # widget views: checked for state below
        for text in output_texts(cell):
            for what, pattern in FORBIDDEN.items():
                hit = pattern.search(text)
                assert not hit, (
                    f"{path.name}: output holds a {what} ({hit.group(0)!r}) "
                    f"in the cell\n{cell.source}"
                )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_warnings_in_outputs(path):
    for cell in code_cells(load(path)):
        streams = [o.name for o in cell.outputs if o.output_type == "stream"]
        assert (
            "stderr" not in streams
        ), f"{path.name}: stderr output (a warning?) in\n{cell.source}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_saved_widget_state(path):
    nb = load(path)
    assert "widgets" not in nb.metadata
    for cell in code_cells(nb):
        for out in cell.outputs:
            data = out.get("data", {})
            assert "application/vnd.jupyter.widget-state+json" not in data
            assert "application/vnd.jupyter.widget-view+json" not in data, (
                f"{path.name}: a widget view (random model id) is stored; "
                "run `make notebooks`"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_sources_hold_no_key_or_machine_path(path):
    for cell in load(path).cells:
        for what in ("key-like string", "absolute path"):
            hit = FORBIDDEN[what].search(cell.source)
            assert not hit, f"{path.name}: {what} {hit.group(0)!r} in a cell"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_skeleton(path):
    nb = load(path)
    found = headings(nb)
    assert found[0].startswith("# "), f"{path.name}: no title first"
    positions = []
    for section in SKELETON:
        match = [i for i, h in enumerate(found) if h.startswith(section)]
        assert match, f"{path.name}: no {section!r} heading"
        positions.append(match[0])
    assert positions == sorted(
        positions
    ), f"{path.name}: sections out of order"
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "### Notation" in text, f"{path.name}: no notation table"


def _section(nb, heading: str) -> str:
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    part = text.split(heading, 1)[1]
    return re.split(r"^## ", part, maxsplit=1, flags=re.MULTILINE)[0]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_learn_bullets_and_exercises(path):
    nb = load(path)
    bullets = re.findall(r"^- ", _section(nb, "## You will learn"), re.M)
    assert 3 <= len(bullets) <= 5, f"{path.name}: {len(bullets)} bullets"
    exercises = _section(nb, "## Exercises")
    items = re.findall(r"^\d+\. ", exercises, re.M)
    assert 3 <= len(items) <= 6, f"{path.name}: {len(items)} exercises"
    assert "predict before you run" in exercises.lower()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_one_setup_cell_first(path):
    nb = load(path)
    cells = code_cells(nb)
    setup = cells[0].source
    for needed in (
        "make_client(",
        "session.versions_line()",
        "plots.use_style()",
        "np.random.default_rng(",
    ):
        assert needed in setup, f"{path.name}: setup cell lacks {needed}"
    first_code = nb.cells.index(cells[0])
    theory = next(
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "markdown" and "## Theory" in c.source
    )
    assert first_code < theory, f"{path.name}: setup cell after the theory"
    later = [c.source for c in cells[1:]]
    assert not any(
        "make_client(" in s for s in later
    ), f"{path.name}: a second setup (make_client) after the first cell"
    printed = "".join(output_texts(cells[0]))
    assert re.search(
        r"^mode: (offline \(local server\)|online)$", printed, re.M
    )
    assert "jepa_helpers " in printed


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.name >= "01"])
def test_figures_from_01_on(path):
    assert any(has_image(c) for c in code_cells(load(path))), path.name


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.name >= "01"])
def test_from_scratch_then_the_helper(path):
    sources = "\n".join(c.source for c in code_cells(load(path)))
    assert re.search(
        r"assert np\.(allclose|isclose|array_equal)", sources
    ), f"{path.name}: no check that an inline build matches the helper"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_figures_are_png(path):
    for cell in code_cells(load(path)):
        for out in cell.outputs:
            assert "image/svg+xml" not in out.get("data", {}), path.name
