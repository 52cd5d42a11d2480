"""The notebooks in JupyterLab: they run, render, and the explorers react.

Each notebook in ``notebooks/`` is opened in JupyterLab (headless
Chromium), its stored outputs cleared, Run > Run All Cells clicked; the
rendered page must then show an execution count on every code cell, no
error output, and an image in every cell whose stored output has one.

The explorers (03, 04) are then driven like a person drives them (keys
on a slider handle, typing in a text box, a click on a toggle) and after
each change the figure in the page must change and equal, pixel for
pixel, the figure this process draws with ``jepa_helpers`` for the
setting the page shows; the energies behind it are computed here with the
helpers and must change too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from jepa_helpers import energy as E  # noqa: E402
from jepa_helpers import examples, plots, widgets  # noqa: E402
from jepa_helpers.encoders import default_encoder  # noqa: E402
from jepa_helpers.glove import load_glove  # noqa: E402
from jepa_helpers.scoring import Scorer  # noqa: E402
from lab_page import ExplorerView, decode_img_src, png_pixels  # noqa: E402
from lab_run import SHOTS, NotebookRun, notebook_names, record  # noqa: E402

pytestmark = pytest.mark.browser

STDERR = "application/vnd.jupyter.stderr"
WIDGET = "application/vnd.jupyter.widget-view+json"


# ------------------------------------------------------- every notebook


def stored_flags(cell: dict) -> tuple[bool, bool]:
    """(has a stored image, may show stderr/an error) of a stored cell."""
    outputs = cell.get("outputs", [])
    image = any(
        k.startswith("image/") for o in outputs for k in o.get("data", {})
    )
    noisy = any(
        o["output_type"] == "error" or o.get("name") == "stderr"
        for o in outputs
    )
    return image, noisy


def notebook_problems(run: NotebookRun) -> list[str]:
    """What the rendered page shows wrong, one line per problem."""
    stored = run.stored["cells"]
    if len(run.cells) != len(stored):
        return [f"{len(run.cells)} cells rendered, {len(stored)} stored"]
    problems, counts = [], []
    for i, (cell, kept) in enumerate(zip(run.cells, stored)):
        if kept["cell_type"] != "code" or not "".join(kept["source"]).strip():
            continue
        where = f"cell {i}"
        if cell.count is None:
            problems.append(f"{where}: not run (prompt {cell.prompt!r})")
        else:
            counts.append(cell.count)
        image, noisy = stored_flags(kept)
        for out in cell.outputs:
            if out["mime"] == STDERR and not noisy:
                problems.append(f"{where}: error output:\n{out['text']}")
            if out["mime"] == WIDGET and (
                not cell.widgets or "Error displaying" in cell.widget_text
            ):
                problems.append(f"{where}: widget not rendered")
        if image and not cell.images:
            problems.append(f"{where}: stored output has a figure, no <img>")
    if counts != list(range(1, len(counts) + 1)):
        problems.append(f"execution counts {counts}, not 1..{len(counts)}")
    return problems


@pytest.mark.parametrize("name", notebook_names())
def test_notebook_runs_and_renders_in_jupyterlab(runner, name):
    run = runner.run(name)
    try:
        problems = notebook_problems(run)
        assert not problems, (
            f"{name} in JupyterLab (screenshot {run.screenshot}):\n"
            + "\n".join(problems)
        )
    finally:
        if not any(name.startswith(p) for p in EXPLORERS):
            runner.release(name)


# ------------------------------------------------------------ explorers


@pytest.fixture
def shown(monkeypatch):
    """PNGs that explorers built in this process display, in order."""
    images: list[bytes] = []
    monkeypatch.setattr(
        widgets, "display", lambda image: images.append(image.data)
    )
    return images


def assert_same_figure(page: np.ndarray, png: bytes, what: str) -> None:
    """The page's figure equals the one drawn here, pixel for pixel."""
    mine = png_pixels(png)
    if page.shape == mine.shape and np.array_equal(page, mine):
        return
    stem = re.sub(r"\W+", "-", what).strip("-")
    expected = SHOTS / f"{stem}-expected.png"
    Image.fromarray(mine).save(expected)
    Image.fromarray(page).save(SHOTS / f"{stem}-page.png")
    differ = (
        int((page != mine).any(axis=-1).sum())
        if page.shape == mine.shape
        else "all"
    )
    raise AssertionError(
        f"{what}: the page shows a figure {page.shape} that differs from "
        f"jepa_helpers' {mine.shape} in {differ} pixels; see {expected}"
    )


def change(
    run: NotebookRun,
    view: ExplorerView,
    act: Callable[[], None],
    timeout: float = 60.0,
) -> str:
    """Do ``act`` in the page; return the new figure's source."""
    server, name = run.view.server, run.view.name
    before = view.image_src()
    act()
    return view.wait_new_image(
        before, lambda: server.kernel_state(name) == "idle", timeout
    )


def readout_matches(readout: str, value: float) -> bool:
    """The slider's readout shows ``value`` to its own precision."""
    digits = len(readout.replace("-", "").replace(".", "").lstrip("0"))
    return float(readout) == pytest.approx(value, rel=10 ** (1 - digits))


def check_pairwise_explorer(run: NotebookRun, shown: list[bytes]):
    """04: tau by keyboard, candidate by typing, energy by a click."""
    view = ExplorerView(run.view.code_cell("pairwise_explorer("))
    stem = Path(run.view.name).stem
    x = view.text_value("context x")
    y = view.text_value("candidate y")
    tau = float(view.readout("\u03c4"))
    which = view.toggled("energy")
    plots.use_style()
    scorer = Scorer(load_glove())  # as in 04's setup cell: GloVe only
    oracle = widgets.pairwise_explorer(scorer, x, y, tau=tau, energy=which)
    assert_same_figure(view.image(), shown[-1], f"{stem} default")
    record(view.screenshot(SHOTS / f"{stem}-explorer-before.png"))

    def energy_of(x, y, tau, which):
        H, K = scorer.lookup(x).matrix, scorer.lookup(y).matrix
        if which == "softmax":
            return E.softmax_pairwise_energy(H, K, tau).value
        return E.mean_pairwise_energy(H, K).value

    def moved_and_shown(src, x2, y2, tau2, which2, what):
        before = f"{energy_of(x, y, tau, which):.4f}"
        after = f"{energy_of(x2, y2, tau2, which2):.4f}"
        assert before != after, f"{what}: E stays {before}; pick another"
        assert_same_figure(decode_img_src(src), shown[-1], what)

    # 1. the tau slider: Page Up on its handle (five steps right)
    src = change(run, view, lambda: view.press_slider("\u03c4", "PageUp"))
    tau2 = 10 ** view.slider_position("\u03c4")
    assert readout_matches(view.readout("\u03c4"), tau2)
    assert tau2 > tau
    oracle.controls["tau"].value = tau2
    moved_and_shown(src, x, y, tau2, which, f"{stem} tau {tau2:.3g}")
    tau = tau2

    # 2. the candidate text box, retyped
    y2 = examples.UNRELATED[0]
    src = change(run, view, lambda: view.type_text("candidate y", y2))
    assert view.text_value("candidate y") == y2
    oracle.controls["candidate"].value = y2
    moved_and_shown(src, x, y2, tau, which, f"{stem} candidate")
    y = y2

    # 3. the energy toggle, clicked
    other = "pairwise" if which == "softmax" else "softmax"
    src = change(run, view, lambda: view.click_toggle("energy", other))
    assert view.toggled("energy") == other
    oracle.controls["energy"].value = other
    moved_and_shown(src, x, y, tau, other, f"{stem} energy {other}")
    record(view.screenshot(SHOTS / f"{stem}-explorer-after.png"))


def check_boltzmann_explorer(run: NotebookRun, shown: list[bytes]):
    """03: alpha by keyboard, the context by typing."""
    view = ExplorerView(run.view.code_cell("boltzmann_explorer("))
    stem = Path(run.view.name).stem
    x = view.text_value("context x")
    ys = [t.strip() for t in view.text_value("candidates").splitlines()]
    ys = [t for t in ys if t]
    alpha = float(view.readout("\u03b1 (GloVe)"))
    tau = float(view.readout("\u03c4"))
    plots.use_style()
    # as in 03's setup cell: GloVe and the offline sentence encoder
    scorer = Scorer(load_glove(), default_encoder("offline"))
    oracle = widgets.boltzmann_explorer(scorer, x, ys, tau=tau, alpha=alpha)
    assert_same_figure(view.image(), shown[-1], f"{stem} default")
    record(view.screenshot(SHOTS / f"{stem}-explorer-before.png"))

    def moved_and_shown(src, x2, alpha2, what):
        before = scorer.energies(x, ys, "joint", alpha=alpha)
        after = scorer.energies(x2, ys, "joint", alpha=alpha2)
        assert not np.array_equal(np.round(before, 4), np.round(after, 4))
        assert_same_figure(decode_img_src(src), shown[-1], what)

    # 1. the alpha slider: Page Down on its handle (five steps left)
    label = "\u03b1 (GloVe)"
    src = change(run, view, lambda: view.press_slider(label, "PageDown"))
    alpha2 = view.slider_position(label)
    assert readout_matches(view.readout(label), alpha2)
    assert alpha2 < alpha
    oracle.controls["alpha"].value = alpha2
    moved_and_shown(src, x, alpha2, f"{stem} alpha {alpha2:.2f}")
    alpha = alpha2

    # 2. the context text box, retyped
    x2 = "A child plays with a ball in the park."
    src = change(run, view, lambda: view.type_text("context x", x2), 120)
    assert view.text_value("context x") == x2
    oracle.controls["context"].value = x2
    moved_and_shown(src, x2, alpha, f"{stem} context")
    record(view.screenshot(SHOTS / f"{stem}-explorer-after.png"))


#: Notebook name prefix -> its explorer check.
EXPLORERS = {
    "03_": check_boltzmann_explorer,
    "04_": check_pairwise_explorer,
}


@pytest.mark.parametrize("prefix", sorted(EXPLORERS))
def test_explorer_reacts_in_jupyterlab(runner, shown, prefix):
    names = [n for n in notebook_names() if n.startswith(prefix)]
    assert len(names) == 1, f"one notebook {prefix}*.ipynb, found {names}"
    run = runner.run(names[0])
    try:
        assert not notebook_problems(run), "see the notebook's own test"
        EXPLORERS[prefix](run, shown)
    finally:
        runner.release(names[0])
