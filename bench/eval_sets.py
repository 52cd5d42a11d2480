"""Readers of the shared evaluation sets (``../shared/eval``), bench only.

The product and its tests never read these (a user's clone has no
``../shared``). Formats are described in ``../shared/eval/SOURCES.md``:
STS-B is TAB separated with no quoting (split on TAB, never a csv reader),
SICK has a header, WordSim-353 has CRLF line ends.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

#: ``../shared/eval`` next to the repository, or ``$JEPA_EVAL_DIR``.
EVAL_DIR = Path(
    os.environ.get("JEPA_EVAL_DIR")
    or Path(__file__).resolve().parents[2] / "shared" / "eval"
)


class ScoredPairs(NamedTuple):
    """Sentence (or word) pairs with a gold similarity score."""

    name: str
    pairs: list[tuple[str, str]]
    gold: list[float]


def available() -> bool:
    return EVAL_DIR.is_dir()


def sts(split: str) -> ScoredPairs:
    """STS Benchmark ``train``/``dev``/``test``: score 0-5."""
    path = EVAL_DIR / "stsb" / f"sts-{split}.csv"
    pairs, gold = [], []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        cells = line.split("\t")
        if len(cells) < 7:
            raise ValueError(f"{path.name}, line {n + 1}: {len(cells)} fields")
        gold.append(float(cells[4]))
        pairs.append((cells[5], cells[6]))
    return ScoredPairs(f"STS-B {split}", pairs, gold)


def sick(split: str) -> ScoredPairs:
    """SICK relatedness (1-5): ``train``, ``trial`` or ``test``."""
    name = {"train": "SICK_train.txt", "trial": "SICK_trial.txt",
            "test": "SICK_test_annotated.txt"}[split]  # fmt: skip
    path = EVAL_DIR / "sick" / name
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    pairs, gold = [], []
    for line in lines:
        if not line.strip():
            continue
        cells = line.split("\t")
        pairs.append((cells[1], cells[2]))
        gold.append(float(cells[3]))
    return ScoredPairs(f"SICK-R {split}", pairs, gold)


WORD_SETS = {
    "WordSim-353": "wordsim353/EN-WS-353-ALL.txt",
    "SimLex-999": "simlex999/EN-SIMLEX-999.txt",
    "MEN": "men/EN-MEN-TR-3k.txt",
}


def word_similarity(name: str) -> ScoredPairs:
    """A word-similarity set: ``(word1, word2)`` pairs, lower-cased."""
    path = EVAL_DIR / WORD_SETS[name]
    pairs, gold = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = line.strip().split("\t")
        if len(cells) < 3:
            continue
        pairs.append((cells[0].lower(), cells[1].lower()))
        gold.append(float(cells[2]))
    return ScoredPairs(name, pairs, gold)
