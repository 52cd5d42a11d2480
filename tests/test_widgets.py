"""Explorers call the same view as the static figure, on every change."""

from __future__ import annotations

import hashlib

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from jepa_helpers import energy, widgets  # noqa: E402
from jepa_helpers.boltzmann import boltzmann  # noqa: E402
from jepa_helpers.examples import SEED_CANDIDATE, SEED_CONTEXT  # noqa: E402
from jepa_helpers.scoring import Scorer  # noqa: E402


class HashEncoder:
    """A deterministic stand-in sentence encoder (unit rows, 16-d)."""

    name = "hash-test"
    dim = 16

    def encode(self, texts):
        rows = []
        for t in texts:
            seed = int(hashlib.sha256(t.encode()).hexdigest()[:8], 16)
            v = np.random.default_rng(seed).normal(size=self.dim)
            rows.append(v / np.linalg.norm(v))
        return np.asarray(rows, dtype=np.float32)

    def describe(self):
        return "hash test encoder"


@pytest.fixture
def scorer(glove):
    return Scorer(glove, HashEncoder())


@pytest.fixture
def shown(monkeypatch):
    """PNG payloads the explorers display, in order."""
    images = []
    monkeypatch.setattr(
        widgets, "display", lambda image: images.append(image.data)
    )
    yield images
    plt.close("all")


def test_pairwise_view_title_carries_the_helper_energy(scorer):
    fig, axes = widgets.pairwise_view(
        scorer, SEED_CONTEXT, SEED_CANDIDATE, tau=0.3
    )
    H = scorer.lookup(SEED_CONTEXT).matrix
    K = scorer.lookup(SEED_CANDIDATE).matrix
    E = energy.softmax_pairwise_energy(H, K, 0.3).value
    assert f"E = {E:.4f}" in fig._suptitle.get_text()
    fig, axes = widgets.pairwise_view(
        scorer, SEED_CONTEXT, SEED_CANDIDATE, energy="pairwise"
    )
    E = energy.mean_pairwise_energy(H, K).value
    assert f"E = {E:.4f}" in fig._suptitle.get_text()
    with pytest.raises(ValueError, match="joint"):
        widgets.pairwise_view(scorer, "a", "b", energy="joint")


def test_pairwise_explorer_redraws_on_every_change(scorer, shown):
    ex = widgets.pairwise_explorer(scorer, SEED_CONTEXT, SEED_CANDIDATE)
    assert set(ex.controls) == {"context", "candidate", "tau", "energy"}
    assert len(shown) == 1  # the default setting, drawn once
    ex.controls["tau"].value = 0.1
    ex.controls["candidate"].value = "A dog runs in the park."
    ex.controls["energy"].value = "pairwise"
    assert len(shown) == 4 and len(set(shown)) == 4
    assert all(png[:4] == b"\x89PNG" for png in shown)


def test_pairwise_explorer_survives_a_text_without_known_words(scorer, shown):
    ex = widgets.pairwise_explorer(scorer, SEED_CONTEXT, SEED_CANDIDATE)
    ex.controls["context"].value = "#"
    ex.controls["context"].value = SEED_CONTEXT
    assert len(shown) == 3


def test_boltzmann_view_bars_are_the_boltzmann_probabilities(scorer):
    cands = [SEED_CANDIDATE, "The bank raised rates.", "Snow fell."]
    fig, ax = widgets.boltzmann_view(
        scorer, SEED_CONTEXT, cands, tau=0.2, alpha=0.3
    )
    E = scorer.energies(SEED_CONTEXT, cands, "joint", alpha=0.3)
    widths = [bar.get_width() for bar in ax.patches]
    assert np.allclose(widths, boltzmann(E, 0.2))


def test_boltzmann_explorer_reads_one_candidate_per_line(scorer, shown):
    ex = widgets.boltzmann_explorer(
        scorer, SEED_CONTEXT, [SEED_CANDIDATE, "Snow fell."]
    )
    assert len(shown) == 1
    ex.controls["candidates"].value = "one\n\n  two  \nthree\n"
    ex.controls["alpha"].value = 1.0
    ex.controls["candidates"].value = ""
    assert len(shown) == 4


def test_explorer_text_is_stable_and_names_its_controls(scorer, shown):
    ex = widgets.pairwise_explorer(scorer, SEED_CONTEXT, SEED_CANDIDATE)
    bundle = ex._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"] == (
        "explorer with controls context, candidate, tau, energy "
        "(interactive: needs a running kernel)"
    )
