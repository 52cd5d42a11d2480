"""The figures: the (fig, ax) contract, shape checks, in-place redraws."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from jepa_helpers import plots  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_use_style_sets_the_series_defaults():
    plots.use_style()
    assert tuple(matplotlib.rcParams["figure.figsize"]) == (6.4, 3.6)
    assert matplotlib.rcParams["figure.dpi"] == 100


def test_every_figure_draws_on_a_given_ax():
    fig, ax = plt.subplots()
    calls = [
        lambda ax: plots.heatmap(np.eye(2), ["a", "b"], ["c", "d"], ax),
        lambda ax: plots.word_map(np.eye(2), ["a", "b"], ["g", "h"], ax),
        lambda ax: plots.energy_histogram({"g": [0.1, 0.2]}, ax),
        lambda ax: plots.probability_bars(["y1", "y2"], [0.3, 0.7], None, ax),
        lambda ax: plots.curves([1, 2], {"s": [0.1, 0.2]}, ax),
        lambda ax: plots.energy_vs_tau([0.1, 1], {"s": [-1, -0.5]}, None, ax),
        lambda ax: plots.grouped_bars(["p"], {"a": [0.5], "b": [0.2]}, ax),
    ]
    for call in calls:
        ax.cla()
        got_fig, got_ax = call(ax)
        assert got_fig is fig and got_ax is ax


def test_a_new_figure_when_no_ax():
    fig, ax = plots.energy_histogram({"a": [0.1], "b": [0.5, 0.6]})
    assert ax.figure is fig
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]


def test_heatmap_marks_are_outlined_and_numbered():
    fig, ax = plots.heatmap(
        np.zeros((3, 3)), list("abc"), list("xyz"), marks=[(0, 1), (2, 2)]
    )
    assert len(ax.patches) == 2
    assert ax.patches[0].get_xy() == (0.5, -0.5)
    assert [t.get_text() for t in ax.texts] == ["1", "2"]


@pytest.mark.parametrize(
    "call",
    [
        lambda: plots.heatmap(np.zeros((2, 3)), ["a"], ["x", "y", "z"]),
        lambda: plots.word_map(np.zeros((3, 2)), ["a", "b"], ["g", "g"]),
        lambda: plots.probability_bars(["a"], [0.5, 0.5]),
        lambda: plots.grouped_bars(["a", "b"], {"s": [1.0]}),
        lambda: plots.energy_histogram({}),
    ],
)
def test_mismatched_shapes_are_refused(call):
    with pytest.raises(ValueError):
        call()


def _pair(m: int, n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    phi = rng.uniform(-1, 1, (m, n))
    w = np.exp(phi / 0.5)
    return phi, w / w.sum()


def test_pair_heatmaps_draws_both_panels_with_top_pairs():
    phi, w = _pair(2, 3)
    fig, axes = plots.pair_heatmaps(
        phi, w, ["a", "b"], ["x", "y", "z"], top=[(1, 2)], title="E"
    )
    assert len(axes) == 2
    assert np.allclose(axes[0].images[0].get_array(), phi)
    assert np.allclose(axes[1].images[0].get_array(), w)
    assert [len(ax.patches) for ax in axes] == [1, 1]
    assert fig._suptitle.get_text() == "E"


def test_pair_heatmaps_redraws_in_place():
    phi, w = _pair(2, 3)
    fig, axes = plots.pair_heatmaps(phi, w, ["a", "b"], list("xyz"))
    image = axes[1].images[0]
    phi2, w2 = _pair(2, 3, seed=1)
    plots.pair_heatmaps(phi2, w2, ["a", "b"], list("xyz"), axes, top=[(0, 0)])
    assert axes[1].images[0] is image  # same artist, new data
    assert np.allclose(image.get_array(), w2)
    assert image.get_clim() == (0.0, pytest.approx(w2.max()))
    phi3, w3 = _pair(4, 2, seed=2)
    plots.pair_heatmaps(phi3, w3, list("abcd"), ["u", "v"], axes)
    labels = [t.get_text() for t in axes[0].get_xticklabels()]
    assert labels == ["u", "v"] and axes[0].images[0].get_array().shape == (
        4,
        2,
    )
    assert len(fig.axes) == 4  # two panels, two colour bars, not more
    assert all(len(ax.patches) == 0 for ax in axes)  # old marks removed


def test_pair_heatmaps_empty_side():
    fig, axes = plots.pair_heatmaps(None, None, [], ["x"])
    assert not axes[0].axison
    assert "no token pair" in axes[0].texts[0].get_text()


def test_probability_bars_update_in_place():
    fig, ax = plots.probability_bars(["a", "b"], [0.2, 0.8], [0.5, 0.1])
    bars = list(ax.patches)
    plots.probability_bars(["a", "b"], [0.6, 0.4], [0.2, 0.3], ax)
    assert list(ax.patches) == bars
    assert [b.get_width() for b in bars] == [0.6, 0.4]
    assert ax.texts[0].get_text() == "p=0.600  E=0.200"
    plots.probability_bars(["c"], [1.0], [0.0], ax)
    assert len(ax.patches) == 1


def test_to_png_renders_the_figure_size():
    fig, ax = plt.subplots(figsize=(2, 1), dpi=50)
    png = plots.to_png(fig)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(png[16:20], "big")
    height = int.from_bytes(png[20:24], "big")
    assert (width, height) == (100, 50)


def test_short_labels():
    assert plots.short("a  b") == "a b"
    assert plots.short("x" * 50, 10) == "x" * 9 + "\u2026"


def test_energy_bars_point_left_for_negative_energies():
    fig, ax = plots.energy_bars(["a", "b"], [0.5, -0.25])
    assert [b.get_width() for b in ax.patches] == [0.5, -0.25]
    assert [t.get_text().strip() for t in ax.texts] == ["0.5000", "-0.2500"]
    lo, hi = ax.get_xlim()
    assert lo < -0.25 and hi > 0.5
    with pytest.raises(ValueError):
        plots.energy_bars(["a"], [0.1, 0.2])
