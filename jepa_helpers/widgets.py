"""Interactive explorers: controls wired to the same views as the figures.

Each ``*_view`` function computes from texts and draws one static figure
(returns ``(fig, ax)``); the notebook shows it for the default setting
first. Each ``*_explorer`` builds controls and an
``ipywidgets.interactive_output`` that calls that very view on every
change, so the static figure and the explorer cannot drift apart.
Controls react on release (``continuous_update=False``): one change, one
recomputation and one redraw. An explorer keeps one figure and redraws it
in place (the views accept the axes they returned), then shows it as one
PNG; ``bench/bench_widgets.py`` times that round trip.

Introduced in 03_cosine_energy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import ipywidgets as W
from IPython.display import Image, display
from matplotlib.figure import Figure

from . import energy as E
from . import plots
from .boltzmann import boltzmann
from .scoring import Scorer

__all__ = [
    "Explorer",
    "boltzmann_explorer",
    "boltzmann_view",
    "pairwise_explorer",
    "pairwise_view",
]

#: Resolution of explorer figures (lower than the static ones: faster).
EXPLORER_DPI = 72
_LAYOUT = W.Layout(width="95%")
_STYLE = {"description_width": "90px"}


def _text_box(value: str, description: str, kind=W.Text) -> W.Widget:
    """A full-width text box that updates when editing is done."""
    return kind(
        value=value,
        description=description,
        continuous_update=False,
        layout=_LAYOUT,
        style=_STYLE,
    )


@dataclass
class Explorer:
    """An explorer: the ``widget`` to display, its ``controls`` by name.

    Displaying an ``Explorer`` displays ``widget``; a program (a test, a
    benchmark) changes a control with ``controls[name].value = ...``.
    """

    widget: W.Widget
    controls: dict[str, W.ValueWidget]
    output: W.Output

    def _repr_mimebundle_(self, **kwargs: Any):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        if isinstance(bundle, tuple):  # (data, metadata)
            bundle = bundle[0]
        bundle = dict(bundle or {})
        bundle["text/plain"] = (
            f"explorer with controls {', '.join(self.controls)} "
            "(interactive: needs a running kernel)"
        )
        return bundle


def _show(fig: Figure) -> None:
    """Lay ``fig`` out on its first showing, then display it as a PNG."""
    if not getattr(fig, "_jepa_laid_out", False):
        fig.tight_layout()
        fig._jepa_laid_out = True
    display(Image(data=plots.to_png(fig), format="png"))


def _lines(text: str) -> list[str]:
    return [t.strip() for t in text.splitlines() if t.strip()]


# ------------------------------------------------------- pairwise (04)


def pairwise_view(
    scorer: Scorer,
    context: str,
    candidate: str,
    tau: float = 0.5,
    energy: str = "softmax",
    top_k: int = 5,
    axes=None,
):
    """Heatmaps of ``phi_ij`` and ``w_ij`` of one pair, top pairs marked.

    ``energy="softmax"``: ``w = softmax(phi / tau)``, ``E = -sum w phi``
    (more negative = more compatible); ``"pairwise"``: ``w = 1 / mn``,
    ``E = 1 - mean phi``. The title carries E. Returns ``(fig, axes)``.

    Introduced in 04_softmax_pairwise_energy.
    """
    Lx, Ly = scorer.lookup(context), scorer.lookup(candidate)
    if energy == "softmax":
        r = E.softmax_pairwise_energy(Lx.matrix, Ly.matrix, tau, top_k)
        what = f"softmax pairwise, \u03c4 = {tau:.3g}"
    elif energy == "pairwise":
        r = E.mean_pairwise_energy(Lx.matrix, Ly.matrix, top_k)
        what = "mean pairwise"
    else:
        raise ValueError(
            f"pairwise_view draws 'softmax' or 'pairwise', got {energy!r}"
        )
    top = [(c.i, c.j) for c in r.top]
    title = f"{what}: E = {r.value:.4f}"
    return plots.pair_heatmaps(
        r.phi, r.weights, Lx.tokens, Ly.tokens, axes, top=top, title=title
    )


def pairwise_explorer(
    scorer: Scorer,
    context: str,
    candidate: str,
    tau: float = 0.5,
    energy: str = "softmax",
    top_k: int = 5,
) -> Explorer:
    """Texts, ``tau`` (log slider) and energy -> ``pairwise_view``.

    Introduced in 04_softmax_pairwise_energy.
    """
    controls = {
        "context": _text_box(context, "context x"),
        "candidate": _text_box(candidate, "candidate y"),
        "tau": W.FloatLogSlider(
            value=tau,
            base=10,
            min=-2,
            max=1,
            step=0.05,
            description="\u03c4",
            continuous_update=False,
            style=_STYLE,
        ),
        "energy": W.ToggleButtons(
            options=["softmax", "pairwise"],
            value=energy,
            description="energy",
            style=_STYLE,
        ),
    }

    fig = Figure(figsize=(10.0, 4.4), dpi=EXPLORER_DPI)
    axes = fig.subplots(1, 2)

    def show(context: str, candidate: str, tau: float, energy: str):
        pairwise_view(scorer, context, candidate, tau, energy, top_k, axes)
        _show(fig)

    out = W.interactive_output(show, controls)
    box = W.VBox(
        [
            controls["context"],
            controls["candidate"],
            W.HBox([controls["tau"], controls["energy"]]),
            out,
        ]
    )
    return Explorer(box, controls, out)


# ------------------------------------------------------ Boltzmann (03)


def boltzmann_view(
    scorer: Scorer,
    context: str,
    candidates: Sequence[str],
    tau: float = 0.1,
    alpha: float = 0.5,
    energy: str = "joint",
    ax=None,
):
    """``p(y | x) = exp(-E / tau) / Z`` over ``candidates``, as bars.

    Energies from ``scorer.energies(context, candidates, energy,
    alpha=alpha)``; each bar is annotated with its E. Returns
    ``(fig, ax)``. Introduced in 03_cosine_energy.
    """
    candidates = list(candidates)
    if not candidates:
        return plots.probability_bars([], [], [], ax, title="no candidate")
    energies = scorer.energies(context, candidates, energy, alpha=alpha)
    p = boltzmann(energies, tau)
    title = (
        f"{energy} energy, \u03b1 = {alpha:.2f}, \u03c4 = {tau:.3g}: "
        "p(y | x) over the candidates"
    )
    return plots.probability_bars(candidates, p, energies, ax, title=title)


def boltzmann_explorer(
    scorer: Scorer,
    context: str,
    candidates: Sequence[str],
    tau: float = 0.1,
    alpha: float = 0.5,
) -> Explorer:
    """Context, candidates (one per line), ``alpha`` and ``tau`` -> bars.

    Calls ``boltzmann_view`` with the joint energy on every change.
    Introduced in 03_cosine_energy.
    """
    controls = {
        "context": _text_box(context, "context x"),
        "candidates": W.Textarea(
            value="\n".join(candidates),
            description="candidates",
            continuous_update=False,
            layout=W.Layout(width="95%", height="9em"),
            style=_STYLE,
        ),
        "alpha": W.FloatSlider(
            value=alpha,
            min=0.0,
            max=1.0,
            step=0.05,
            description="\u03b1 (GloVe)",
            continuous_update=False,
            style=_STYLE,
        ),
        "tau": W.FloatLogSlider(
            value=tau,
            base=10,
            min=-3,
            max=1,
            step=0.05,
            description="\u03c4",
            continuous_update=False,
            style=_STYLE,
        ),
    }

    fig = Figure(figsize=(7.5, 1.2 + 0.32 * len(candidates)))
    fig.set_dpi(EXPLORER_DPI)
    ax = fig.subplots()

    def show(context: str, candidates: str, alpha: float, tau: float):
        lines = _lines(candidates)
        boltzmann_view(scorer, context, lines, tau, alpha, ax=ax)
        _show(fig)

    out = W.interactive_output(show, controls)
    box = W.VBox(
        [
            controls["context"],
            controls["candidates"],
            W.HBox([controls["alpha"], controls["tau"]]),
            out,
        ]
    )
    return Explorer(box, controls, out)
