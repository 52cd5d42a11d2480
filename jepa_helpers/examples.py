"""Example texts of the series: the seed pair and the OOD candidate groups.

The seed pair is the one the original scripts ran (``../shared/seed``).
``RELATED`` and ``UNRELATED`` were written for this project;
``shuffled`` and ``random_text`` make the perturbed and the random
candidates of the out-of-distribution view (UvA's noise-vs-data test).

Introduced in 03_cosine_energy.
"""

from __future__ import annotations

import numpy as np

from .__main__ import SEED_CANDIDATE, SEED_CONTEXT
from .glove import GloVe
from .text import tokenize

__all__ = [
    "RELATED",
    "SEED_CANDIDATE",
    "SEED_CONTEXT",
    "UNRELATED",
    "ood_groups",
    "random_text",
    "shuffled",
]

#: Candidates about the seed context's scene (children, a ball, a park).
RELATED: tuple[str, ...] = (
    SEED_CANDIDATE,
    "Two children kick a football on the grass.",
    "A little girl chases a bouncing ball in the garden.",
    "Kids are playing catch in the park after school.",
    "A boy throws a red ball to his dog on the lawn.",
    "The children run around the playground with a ball.",
    "A young child laughs while playing outside with a toy.",
    "A toddler rolls a small ball across the park path.",
)

#: Well-formed candidates about something else entirely.
UNRELATED: tuple[str, ...] = (
    "The central bank raised interest rates again this quarter.",
    "She compiled the kernel module with debugging symbols.",
    "The recipe needs two cups of flour and a pinch of salt.",
    "Heavy snow closed the mountain pass overnight.",
    "The committee approved the new tax regulations.",
    "He repaired the leaking pipe under the kitchen sink.",
    "The orchestra performed a symphony by Brahms.",
    "Stock prices fell sharply after the earnings report.",
)


def shuffled(text: str, rng: np.random.Generator) -> str:
    """The tokens of ``text`` in a random order, joined by spaces.

    Same words, broken syntax: a bag-of-words energy cannot tell it from
    ``text``. Introduced in 03_cosine_energy.
    """
    tokens = tokenize(text)
    order = rng.permutation(len(tokens))
    return " ".join(tokens[i] for i in order)


def random_text(
    glove: GloVe,
    n_words: int,
    rng: np.random.Generator,
    top: int = 50_000,
) -> str:
    """``n_words`` words drawn uniformly from the ``top`` most frequent.

    Only purely alphabetic words are drawn, so every word survives
    ``tokenize``. GloVe files list words by frequency, so ``top`` keeps
    the draw among real words. Introduced in 03_cosine_energy.
    """
    if n_words < 1:
        raise ValueError(f"n_words must be >= 1, got {n_words}")
    top = min(top, len(glove))
    words: list[str] = []
    while len(words) < n_words:
        row = int(rng.integers(0, top))
        word = glove.vocab.word(row)
        if word.isascii() and word.isalpha():
            words.append(word)
    return " ".join(words)


def ood_groups(
    glove: GloVe, rng: np.random.Generator, n_words: int = 10
) -> dict[str, list[str]]:
    """Candidate groups for the OOD view, each as long as ``RELATED``.

    ``related``, ``unrelated``, ``shuffled`` (each related text
    shuffled) and ``random`` (``n_words`` random words each).
    Introduced in 03_cosine_energy.
    """
    return {
        "related": list(RELATED),
        "unrelated": list(UNRELATED),
        "shuffled": [shuffled(t, rng) for t in RELATED],
        "random": [
            random_text(glove, n_words, rng) for _ in range(len(RELATED))
        ],
    }
