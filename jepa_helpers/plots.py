"""The series' figures (matplotlib): one style, ``ax=None``, ``(fig, ax)``.

Every function draws on ``ax`` (or ``axes``) when given, else on a new
figure, and returns ``(fig, ax)``; the notebook calls ``plt.show()``.
``use_style()`` once in the setup cell sets size, resolution and fonts.
Figures stay PNG (nbval skips images; SVG would be compared as text).

Introduced in 01_tokenising_and_loading_glove.
"""

from __future__ import annotations

import io
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.patches import Rectangle

STYLE = {
    "figure.figsize": (6.4, 3.6),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "image.cmap": "viridis",
    "figure.max_open_warning": 0,
}
#: Colours of the candidate groups, the same in every figure.
GROUP_COLORS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e")


def use_style() -> None:
    """Set the series' matplotlib defaults (``STYLE``); call once.

    Introduced in 00_overview.
    """
    mpl.rcParams.update(STYLE)


def _axes(ax=None, **subplots):
    if ax is None:
        fig, ax = plt.subplots(**subplots)
        return fig, ax
    return ax.figure, ax


def short(text: str, width: int = 34) -> str:
    """``text`` cut to ``width`` characters with an ellipsis (for labels)."""
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def heatmap(
    M: np.ndarray,
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    ax=None,
    *,
    title: str | None = None,
    cmap: str = "viridis",
    vmin: float | None = None,
    vmax: float | None = None,
    marks: Sequence[tuple[int, int]] = (),
    colorbar: str | None = None,
    annotate: bool = False,
):
    """``M`` ``[m, n]`` as an image, rows and columns labelled.

    ``marks``: cells ``(i, j)`` outlined in red and numbered 1, 2, ... in
    order (the top pairs); ``colorbar``: its label (``None``: no bar);
    ``annotate``: print each value with 2 decimals.

    Introduced in 01_tokenising_and_loading_glove.
    """
    M = np.asarray(M, dtype=float)
    if M.ndim != 2 or M.shape != (len(row_labels), len(col_labels)):
        raise ValueError(
            f"heatmap: matrix shape {M.shape} does not match "
            f"{len(row_labels)} row and {len(col_labels)} column labels"
        )
    fig, ax = _axes(ax)
    im = ax.imshow(M, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
    ax.set_xticks(range(M.shape[1]), list(col_labels), rotation=60)
    ax.set_yticks(range(M.shape[0]), list(row_labels))
    ax.tick_params(length=0)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    if annotate:
        mid = np.nanmean(M) if M.size else 0.0
        for (i, j), v in np.ndenumerate(M):
            color = "black" if v > mid else "white"
            ax.text(
                j,
                i,
                f"{v:.2f}",
                ha="center",
                va="center",
                fontsize=7,
                color=color,
            )
    _marks(ax, marks, numbered=True)
    if colorbar is not None:
        fig.colorbar(im, ax=ax, label=colorbar, fraction=0.046, pad=0.03)
    if title:
        ax.set_title(title)
    return fig, ax


def pair_heatmaps(
    phi: np.ndarray | None,
    weights: np.ndarray | None,
    tokens_x: Sequence[str],
    tokens_y: Sequence[str],
    axes=None,
    *,
    top: Sequence[tuple[int, int]] = (),
    title: str | None = None,
):
    """Side by side: ``phi_ij`` and ``w_ij`` ``[m, n]``, top pairs marked.

    Rows are the context tokens ``x``, columns the candidate tokens ``y``;
    the ``top`` pairs ``(i, j)`` are outlined on both panels and numbered
    on the weights. ``phi`` or ``weights`` ``None`` (a side without known
    words, or a matrix too large to keep) draws an empty panel saying so.
    Returns ``(fig, axes)`` with two axes.

    Called again with the ``axes`` it returned, it redraws in place: same
    tokens -> only the images, marks and title change (what an explorer
    needs to redraw fast); other tokens -> the panels are rebuilt and the
    colour bars reused.

    Introduced in 04_softmax_pairwise_energy.
    """
    created = axes is None
    if created:
        n = max(len(tokens_y), 1)
        width = min(13.0, 4.4 + 0.55 * n)
        height = min(7.0, 2.3 + 0.28 * max(len(tokens_x), 1))
        fig, axes = plt.subplots(1, 2, figsize=(width, height))
    fig = axes[0].figure
    state = _PAIR_STATE.get(axes[1])
    if state is None:
        state = _PAIR_STATE[axes[1]] = _PairState()
    key = (tuple(tokens_x), tuple(tokens_y))
    panels = (phi, weights)
    same = state.tokens == key and all(
        im is not None and M is not None and np.shape(M) == im.get_shape()
        for im, M in zip(state.images, panels)
    )
    for artist in state.marks:
        artist.remove()
    state.marks = []
    for k, (ax, M) in enumerate(zip(axes, panels)):
        label, cmap, lo = _PAIR_PANELS[k]
        hi = 1.0 if k == 0 else _top_weight(M)
        im = state.images[k]
        if im is not None and M is not None and np.size(M):
            if not same:
                _relabel(ax, im, M, tokens_x, tokens_y)
            im.set_data(M)
            im.set_clim(lo, hi)
        else:
            state.images[k] = _pair_panel(
                ax, M, tokens_x, tokens_y, label, cmap, lo, hi, left=k == 0
            )
            _pair_colorbar(fig, ax, state, k, label)
        if state.images[k] is not None:
            state.marks += _marks(ax, top, numbered=k == 1)
    state.tokens = key
    if title:
        fig.suptitle(title)
    if created:
        fig.tight_layout()
    return fig, axes


@dataclass
class _PairState:
    """What ``pair_heatmaps`` drew on a pair of axes, to redraw in place."""

    tokens: tuple = ()
    images: list = field(default_factory=lambda: [None, None])
    colorbars: list = field(default_factory=lambda: [None, None])
    marks: list = field(default_factory=list)


_PAIR_STATE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_PAIR_PANELS = (
    ("\u03c6_ij = cos(h_i, k_j)", "coolwarm", -1.0),
    ("w_ij (sum = 1)", "viridis", 0.0),
)


def _top_weight(M) -> float:
    if M is None or np.size(M) == 0:
        return 1.0
    return max(float(np.max(M)), 1e-12)


def _pair_panel(ax, M, tokens_x, tokens_y, label, cmap, lo, hi, left):
    """Draw one panel from scratch; the image, or ``None`` if empty."""
    ax.cla()
    if M is None or np.size(M) == 0:
        ax.set_axis_off()
        ax.text(
            0.5,
            0.5,
            f"{label}:\nno token pair to show",
            ha="center",
            va="center",
            transform=ax.transAxes,
        )
        return None
    heatmap(M, tokens_x, tokens_y, ax, cmap=cmap, vmin=lo, vmax=hi)
    ax.set_xlabel("candidate tokens k_j")
    if left:
        ax.set_ylabel("context tokens h_i")
    else:
        ax.tick_params(labelleft=False)
    return ax.images[-1]


def _relabel(ax, im, M, tokens_x, tokens_y) -> None:
    """Resize an existing heatmap to ``M``'s shape and relabel its ticks."""
    m, n = np.shape(M)
    im.set_extent((-0.5, n - 0.5, m - 0.5, -0.5))
    ax.set_xticks(range(n), list(tokens_y), rotation=60)
    ax.set_yticks(range(m), list(tokens_x))
    ax.set_xlim(-0.5, n - 0.5)
    ax.set_ylim(m - 0.5, -0.5)


def _pair_colorbar(fig, ax, state, k, label) -> None:
    im, cb = state.images[k], state.colorbars[k]
    if cb is None and im is not None:
        state.colorbars[k] = fig.colorbar(
            im, ax=ax, label=label, fraction=0.046, pad=0.03
        )
    elif cb is not None:
        cb.ax.set_visible(im is not None)
        if im is not None:
            cb.update_normal(im)


def _marks(ax, cells, numbered: bool) -> list:
    """Outline ``cells`` ``(i, j)`` in red; number them 1, 2, ... if asked."""
    out = []
    for rank, (i, j) in enumerate(cells, start=1):
        out.append(
            ax.add_patch(
                Rectangle(
                    (j - 0.5, i - 0.5), 1, 1, fill=False, ec="red", lw=1.5
                )
            )
        )
        if numbered:
            out.append(
                ax.text(
                    j + 0.45,
                    i - 0.45,
                    str(rank),
                    color="red",
                    fontsize=7,
                    ha="right",
                    va="top",
                )
            )
    return out


def word_map(
    points: np.ndarray,
    labels: Sequence[str],
    groups: Sequence[str],
    ax=None,
    *,
    title: str | None = None,
):
    """Words as labelled dots at 2-D ``points`` ``[n, 2]``, coloured by group.

    Introduced in 01_tokenising_and_loading_glove.
    """
    P = np.asarray(points, dtype=float)
    if P.shape != (len(labels), 2) or len(groups) != len(labels):
        raise ValueError(
            f"word_map: points {P.shape}, {len(labels)} labels and "
            f"{len(groups)} groups must describe the same words in 2-D"
        )
    fig, ax = _axes(ax)
    names = list(dict.fromkeys(groups))
    for k, name in enumerate(names):
        rows = [i for i, g in enumerate(groups) if g == name]
        color = GROUP_COLORS[k % len(GROUP_COLORS)]
        ax.scatter(P[rows, 0], P[rows, 1], color=color, label=name, s=18)
        for i in rows:
            ax.annotate(
                labels[i],
                P[i],
                xytext=(3, 3),
                textcoords="offset points",
                fontsize=8,
                color=color,
            )
    ax.set_xlabel("component 1")
    ax.set_ylabel("component 2")
    ax.legend(loc="best", frameon=False)
    if title:
        ax.set_title(title)
    return fig, ax


def energy_histogram(
    groups: Mapping[str, Sequence[float]],
    ax=None,
    *,
    bins: int = 16,
    xlabel: str = "energy E(x, y)  (lower = more compatible)",
    title: str | None = None,
):
    """Overlaid histograms of the energies of each candidate group.

    ``groups``: name -> energies ``[N_g]``; one shared set of ``bins``
    over all values, and a tick under the axis for every single energy
    (the groups are small). Introduced in 03_cosine_energy.
    """
    if not groups:
        raise ValueError("energy_histogram needs at least one group")
    values = {k: np.asarray(v, dtype=float).ravel() for k, v in groups.items()}
    every = np.concatenate(list(values.values()))
    lo, hi = float(every.min()), float(every.max())
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    edges = np.linspace(lo, hi, bins + 1)
    fig, ax = _axes(ax)
    for k, (name, v) in enumerate(values.items()):
        color = GROUP_COLORS[k % len(GROUP_COLORS)]
        ax.hist(
            v,
            bins=edges,
            color=color,
            alpha=0.45,
            label=name,
            histtype="stepfilled",
            ec=color,
        )
        ax.plot(v, np.full(v.shape, -0.15 - 0.15 * k), "|", color=color, ms=8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("candidates")
    ax.legend(frameon=False)
    if title:
        ax.set_title(title)
    return fig, ax


def probability_bars(
    labels: Sequence[str],
    probabilities: Sequence[float],
    energies: Sequence[float] | None = None,
    ax=None,
    *,
    title: str | None = None,
):
    """Horizontal bars of ``p(y | x)``, one per candidate, in the given order.

    When ``energies`` are given each bar is annotated with its ``p`` and
    ``E``. Called again on the ``ax`` it returned with the same labels, it
    only moves the bars and rewrites the notes (fast redraws).
    Introduced in 03_cosine_energy.
    """
    p = np.asarray(probabilities, dtype=float)
    if p.shape != (len(labels),):
        raise ValueError(
            f"probability_bars: {p.size} probabilities for {len(labels)} "
            "labels"
        )
    fig, ax = _axes(ax, figsize=(6.4, 0.9 + 0.32 * len(labels)))
    notes = [
        f"p={pi:.3f}  E={e:.3f}" if energies is not None else f"p={pi:.3f}"
        for pi, e in zip(p, energies if energies is not None else p)
    ]
    state = _BAR_STATE.get(ax)
    if not len(labels):
        ax.cla()
        _BAR_STATE.pop(ax, None)
        ax.text(0.5, 0.5, "no candidate to show", ha="center")
    elif state is None or state[0] != tuple(labels):
        ax.cla()
        y = np.arange(len(labels))
        bars = ax.barh(y, p, color=GROUP_COLORS[0])
        ax.set_yticks(y, [short(t) for t in labels])
        ax.invert_yaxis()
        ax.set_xlabel("p(y | x) = exp(-E/\u03c4) / Z")
        texts = [
            ax.text(pi + 0.01, yi, note, va="center", fontsize=7)
            for yi, (pi, note) in enumerate(zip(p, notes))
        ]
        _BAR_STATE[ax] = (tuple(labels), bars, texts)
    else:
        _, bars, texts = state
        for bar, text, pi, note in zip(bars, texts, p, notes):
            bar.set_width(pi)
            text.set_x(pi + 0.01)
            text.set_text(note)
    ax.set_xlim(0, 1.3)
    if title:
        ax.set_title(title)
    return fig, ax


_BAR_STATE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def to_png(fig, compress_level: int = 1) -> bytes:
    """Draw ``fig`` exactly once with Agg and return it as PNG bytes.

    For explorers, which show a fixed-size figure many times: no tight
    bounding box, no layout pass (``savefig`` may draw twice), low zlib
    effort. Introduced in 03_cosine_energy.
    """
    canvas = fig.canvas
    if not isinstance(canvas, FigureCanvasAgg):
        canvas = FigureCanvasAgg(fig)
    canvas.draw()
    width, height = canvas.get_width_height(physical=True)
    image = PIL.Image.frombuffer(
        "RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1
    )
    buf = io.BytesIO()
    image.save(buf, format="png", compress_level=compress_level)
    return buf.getvalue()


def energy_bars(
    labels: Sequence[str],
    energies: Sequence[float],
    ax=None,
    *,
    xlabel: str = "energy E(x, y)  (lower = more compatible)",
    title: str | None = None,
):
    """Horizontal bars of one energy per label, annotated with ``E``.

    Bars start at 0, so negative energies (the softmax pairwise one) point
    left. Introduced in 05_tool_schemas.
    """
    E = np.asarray(energies, dtype=float)
    if E.shape != (len(labels),):
        raise ValueError(
            f"energy_bars: {E.size} energies for {len(labels)} labels"
        )
    fig, ax = _axes(ax, figsize=(6.4, 0.9 + 0.34 * max(len(labels), 1)))
    y = np.arange(len(labels))
    ax.barh(y, E, color=GROUP_COLORS[2])
    ax.set_yticks(y, [short(t) for t in labels])
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.6)
    span = max(float(np.abs(E).max(initial=0.0)), 1e-3)
    ax.set_xlim(
        min(0.0, float(E.min(initial=0.0))) - 0.35 * span,
        max(0.0, float(E.max(initial=0.0))) + 0.35 * span,
    )
    for yi, e in enumerate(E):
        ax.text(
            e,
            yi,
            f" {e:.4f} ",
            va="center",
            fontsize=7,
            ha="left" if e >= 0 else "right",
        )
    ax.set_xlabel(xlabel)
    if title:
        ax.set_title(title)
    return fig, ax


def curves(
    x: Sequence[float],
    series: Mapping[str, Sequence[float]],
    ax=None,
    *,
    xlabel: str = "",
    ylabel: str = "",
    logx: bool = False,
    hlines: Mapping[str, float] | None = None,
    title: str | None = None,
):
    """One line per entry of ``series`` over ``x``; dashed ``hlines``.

    Introduced in 02_gpt_embeddings.
    """
    fig, ax = _axes(ax)
    for k, (name, ys) in enumerate(series.items()):
        ax.plot(x, ys, marker=".", color=GROUP_COLORS[k % 5], label=name)
    for k, (name, level) in enumerate((hlines or {}).items()):
        ax.axhline(level, ls="--", lw=1, color=f"C{k + 7}", label=name)
    if logx:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False)
    if title:
        ax.set_title(title)
    return fig, ax


def energy_vs_tau(
    taus: Sequence[float],
    energies: Mapping[str, Sequence[float]],
    limits: Mapping[str, float] | None = None,
    ax=None,
    *,
    title: str | None = None,
):
    """Energy against the temperature ``tau`` (log axis), limits dashed.

    Introduced in 04_softmax_pairwise_energy.
    """
    return curves(
        taus,
        energies,
        ax,
        xlabel="temperature \u03c4 (log scale)",
        ylabel="E(x, y) = -\u03a3 w_ij \u03c6_ij",
        logx=True,
        hlines=limits,
        title=title,
    )


def grouped_bars(
    labels: Sequence[str],
    series: Mapping[str, Sequence[float]],
    ax=None,
    *,
    ylabel: str = "",
    title: str | None = None,
):
    """Bars of several series side by side for each label.

    Introduced in 02_gpt_embeddings.
    """
    n = len(series)
    if n == 0:
        raise ValueError("grouped_bars needs at least one series")
    fig, ax = _axes(ax)
    x = np.arange(len(labels))
    width = 0.8 / n
    for k, (name, values) in enumerate(series.items()):
        v = np.asarray(values, dtype=float)
        if v.shape != (len(labels),):
            raise ValueError(
                f"grouped_bars: series {name!r} has {v.size} values for "
                f"{len(labels)} labels"
            )
        ax.bar(
            x + (k - (n - 1) / 2) * width,
            v,
            width,
            label=name,
            color=GROUP_COLORS[k % 5],
        )
    ax.set_xticks(x, list(labels))
    ax.axhline(0, color="black", lw=0.6)
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False)
    if title:
        ax.set_title(title)
    return fig, ax


# ------------------------------------------------- training (notebook 08)


def std_per_dimension(
    stds: Mapping[str, Sequence[float]],
    gamma: float,
    ax=None,
    *,
    title: str | None = None,
):
    """Per-dimension std of embeddings, one line per model, against the
    variance margin ``gamma`` (dashed): eb_jepa's first collapse monitor.

    ``stds``: name -> ``[k]`` standard deviations. Introduced in
    08_training_a_tiny_jepa.
    """
    if not stds:
        raise ValueError("std_per_dimension needs at least one model")
    fig, ax = _axes(ax)
    for k, (name, s) in enumerate(stds.items()):
        s = np.asarray(s, dtype=float)
        ax.plot(
            np.arange(s.size),
            s,
            marker="o",
            ms=3,
            color=GROUP_COLORS[k % len(GROUP_COLORS)],
            label=name,
        )
    ax.axhline(
        gamma, ls="--", lw=1, color="black", label=f"margin γ = {gamma}"
    )
    ax.set_xlabel("embedding dimension j")
    ax.set_ylabel("std of z_j over held-out pairs")
    ax.legend(frameon=False)
    if title:
        ax.set_title(title)
    return fig, ax


def spectrum(
    spectra: Mapping[str, Sequence[float]],
    ax=None,
    *,
    floor: float = 1e-12,
    title: str | None = None,
):
    """Eigenvalues of each model's embedding covariance, largest first,
    on a log axis (values below ``floor`` drawn at ``floor``).

    A collapsed embedding has one (or no) eigenvalue far above the rest.
    Introduced in 08_training_a_tiny_jepa.
    """
    if not spectra:
        raise ValueError("spectrum needs at least one model")
    fig, ax = _axes(ax)
    for k, (name, lam) in enumerate(spectra.items()):
        lam = np.maximum(np.asarray(lam, dtype=float), floor)
        ax.plot(
            np.arange(1, lam.size + 1),
            lam,
            marker=".",
            color=GROUP_COLORS[k % len(GROUP_COLORS)],
            label=name,
        )
    ax.set_yscale("log")
    ax.set_xlabel("eigenvalue index (largest first)")
    ax.set_ylabel("eigenvalue of Cov(z)")
    ax.legend(frameon=False)
    if title:
        ax.set_title(title)
    return fig, ax
