"""Example texts: the OOD groups are what they claim to be."""

from __future__ import annotations

import numpy as np
import pytest

from jepa_helpers import examples
from jepa_helpers.text import tokenize


def test_seed_pair_is_the_first_related_candidate():
    assert examples.RELATED[0] == examples.SEED_CANDIDATE
    assert "ball" in tokenize(examples.SEED_CONTEXT)


def test_shuffled_is_a_permutation_of_the_tokens():
    rng = np.random.default_rng(0)
    text = examples.RELATED[2]
    out = examples.shuffled(text, rng)
    assert sorted(out.split()) == sorted(tokenize(text))
    assert tokenize(out) == out.split()


def test_shuffled_is_deterministic_for_a_seed():
    a = examples.shuffled(examples.SEED_CONTEXT, np.random.default_rng(3))
    b = examples.shuffled(examples.SEED_CONTEXT, np.random.default_rng(3))
    assert a == b


def test_random_text_draws_known_alphabetic_words(glove):
    text = examples.random_text(glove, 12, np.random.default_rng(1), top=5000)
    words = text.split()
    assert len(words) == 12 and tokenize(text) == words
    assert all(0 <= glove.vocab.row(w) < 5000 for w in words)


def test_random_text_rejects_zero_words(glove):
    with pytest.raises(ValueError, match="n_words"):
        examples.random_text(glove, 0, np.random.default_rng(0))


def test_ood_groups(glove):
    groups = examples.ood_groups(glove, np.random.default_rng(0))
    assert list(groups) == ["related", "unrelated", "shuffled", "random"]
    assert {len(v) for v in groups.values()} == {len(examples.RELATED)}
    assert set(groups["related"]).isdisjoint(groups["unrelated"])
