"""Measuring an energy: Spearman correlation and within-context ranking.

An energy is judged the way an EBM practitioner judges one: does it put
compatible pairs low and incompatible ones high? Two views:

- ``spearman(-E, label)``: rank correlation between the similarity
  ``-E`` and a graded label over all pairs (the STS Benchmark's measure);
- ``ranking_report``: within each context, the fraction of candidate
  pairs in the right order (the higher label has the lower energy) and
  how often the paraphrase has the lowest energy of its group.

Also the project's labelled set, ``data/labelled_pairs.jsonl`` (written
for this series; the labelling rule is in ``data/README.md``).

Introduced in 07_energy_shaping_and_evaluation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

#: The project's labelled pairs (in a clone of the repository).
LABELLED_PAIRS = (
    Path(__file__).resolve().parents[1] / "data" / "labelled_pairs.jsonl"
)
#: Graded compatibility of a candidate with its context.
LABELS = {
    "paraphrase": 4,
    "continuation": 3,
    "related": 2,
    "unrelated": 1,
    "contradiction": 0,
}


# --------------------------------------------------------------- Spearman


def rankdata(x: Sequence[float]) -> np.ndarray:
    """Ranks ``1..n`` of ``x``, ties sharing the mean of their ranks.

    ``[10, 20, 20, 5] -> [2, 3.5, 3.5, 1]`` (what ``scipy.stats.rankdata``
    calls "average"). Raises ``ValueError`` on NaN.

    Introduced in 07_energy_shaping_and_evaluation.
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    if np.isnan(x).any():
        raise ValueError(f"cannot rank NaN (position {np.isnan(x).argmax()})")
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    last = np.cumsum(counts)  # rank of the last member of each tie group
    first = last - counts + 1
    return ((first + last) / 2.0)[inverse.ravel()]


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rho: the Pearson correlation of ``rankdata(x)``, ``(y)``.

    ``rho = cov(r_x, r_y) / (sd(r_x) sd(r_y))``, in ``[-1, 1]``; ties get
    average ranks. Raises ``ValueError`` for unequal lengths, fewer than
    two values or a constant input (rho undefined).

    Introduced in 07_energy_shaping_and_evaluation.
    """
    rx, ry = rankdata(x), rankdata(y)
    if rx.size != ry.size:
        raise ValueError(f"lengths differ: {rx.size} vs {ry.size}")
    if rx.size < 2:
        raise ValueError("Spearman's rho needs at least two values")
    rx, ry = rx - rx.mean(), ry - ry.mean()
    den = np.sqrt((rx @ rx) * (ry @ ry))
    if den == 0:
        raise ValueError("Spearman's rho is undefined for a constant input")
    return float(rx @ ry / den)


# --------------------------------------------------------- labelled set


@dataclass(frozen=True)
class LabelledPair:
    """One line of the labelled set: a context, a candidate, a label.

    ``group`` ties the candidates written for the same context;
    ``score = LABELS[label]`` (4 paraphrase ... 0 contradiction).
    """

    group: int
    label: str
    score: int
    context: str
    candidate: str


def load_labelled_pairs(path: str | Path | None = None) -> list[LabelledPair]:
    """Read the labelled set (JSON lines); errors name the file and line.

    Each line: ``{"group": int, "label": one of LABELS, "context": str,
    "candidate": str}``. ``path=None``: ``data/labelled_pairs.jsonl``.

    Introduced in 07_energy_shaping_and_evaluation.
    """
    path = Path(LABELLED_PAIRS if path is None else path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise FileNotFoundError(f"labelled pairs not found: {path}") from None
    out = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path.name}, line {n}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            raise ValueError(f"{where}: not JSON ({err.msg})") from None
        if not isinstance(obj, dict):
            raise ValueError(f"{where}: expected a JSON object")
        missing = {"group", "label", "context", "candidate"} - set(obj)
        if missing:
            raise ValueError(f"{where}: missing {sorted(missing)}")
        if obj["label"] not in LABELS:
            raise ValueError(
                f"{where}: label {obj['label']!r} is not one of "
                f"{list(LABELS)}"
            )
        if not isinstance(obj["group"], int) or isinstance(obj["group"], bool):
            raise ValueError(f"{where}: group must be an integer")
        for key in ("context", "candidate"):
            if not isinstance(obj[key], str) or not obj[key].strip():
                raise ValueError(f"{where}: {key} must be a non-empty string")
        out.append(
            LabelledPair(
                obj["group"],
                obj["label"],
                LABELS[obj["label"]],
                obj["context"],
                obj["candidate"],
            )
        )
    if not out:
        raise ValueError(f"{path.name}: no pairs")
    return out


# ------------------------------------------------------------- energies


def pair_energies(
    scorer,
    pairs: Sequence[tuple[str, str]],
    energy: str,
    **options,
) -> np.ndarray:
    """``E(x, y)`` ``[P]`` of many pairs, batched per distinct context.

    ``scorer`` is a ``scoring.Scorer``; ``options`` go to
    ``Scorer.energies`` (``tau``, ``alpha``).

    Introduced in 07_energy_shaping_and_evaluation.
    """
    by_context: dict[str, list[int]] = {}
    for n, (x, _) in enumerate(pairs):
        by_context.setdefault(x, []).append(n)
    out = np.empty(len(pairs))
    for x, rows in by_context.items():
        cands = [pairs[n][1] for n in rows]
        out[rows] = scorer.energies(x, cands, energy, **options)
    return out


@dataclass(frozen=True)
class RankingReport:
    """How well energies order the candidates of each context.

    ``spearman``: rho of ``-E`` against the labels over all pairs;
    ``pair_accuracy``: fraction of same-context candidate pairs with
    different labels where the better label has the lower energy (ties
    count one half); ``top1``: fraction of contexts whose best-labelled
    candidate has the lowest energy.
    """

    spearman: float
    pair_accuracy: float
    top1: float


def ranking_report(
    energies: Sequence[float], scores: Sequence[int], groups: Sequence[int]
) -> RankingReport:
    """Spearman, within-group pair accuracy and top-1 of an energy.

    Introduced in 07_energy_shaping_and_evaluation.
    """
    E = np.asarray(energies, dtype=np.float64)
    s = np.asarray(scores, dtype=np.float64)
    g = np.asarray(groups)
    if not (E.shape == s.shape == g.shape):
        raise ValueError("energies, scores and groups differ in length")
    right = total = 0.0
    hits = []
    for group in np.unique(g):
        idx = np.flatnonzero(g == group)
        e, lab = E[idx], s[idx]
        better = lab[:, None] > lab[None, :]  # i should be lower than j
        right += (e[:, None] < e[None, :])[better].sum()
        right += 0.5 * (e[:, None] == e[None, :])[better].sum()
        total += better.sum()
        best = lab == lab.max()
        hits.append(bool(e[best].min() < e[~best].min(initial=np.inf)))
    return RankingReport(
        spearman(-E, s),
        float(right / total) if total else float("nan"),
        float(np.mean(hits)),
    )
