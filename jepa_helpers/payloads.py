"""Pieces of the tool results (JSON-ready dicts) shared by every scorer.

Introduced in 05_tool_schemas.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

RANKING_INTERPRETATION = (
    "Candidates are sorted by energy, lowest first: under this toy "
    "energy-based model the first one is the most compatible with the "
    "context (y* = argmin_y E(x, y))."
)


def pair_rows(
    top: Sequence[Any], x_tokens: Sequence[str], y_tokens: Sequence[str]
) -> list[dict[str, Any]]:
    """The seed's ``token_pair_contributions_topk`` rows.

    ``top`` holds ``energy.PairContribution``-like items (``i``, ``j``,
    ``phi``, ``weight``, ``contribution``).
    """
    return [
        {
            "context_token": x_tokens[c.i],
            "candidate_token": y_tokens[c.j],
            "phi_cosine": c.phi,
            "weight": c.weight,
            "contribution": c.contribution,
            "indices": {"i": c.i, "j": c.j},
        }
        for c in top
    ]


def ranking_payload(
    context: str,
    candidates: Sequence[str],
    energies: np.ndarray,
    energy_name: str,
) -> dict[str, Any]:
    """Candidates ordered by energy, lowest first, with their energies."""
    if not len(candidates):
        raise ValueError("rank needs at least one candidate")
    order = np.argsort(energies, kind="stable")
    ranking = [
        {
            "rank": r + 1,
            "index": int(i),
            "candidate": candidates[i],
            "energy": float(energies[i]),
        }
        for r, i in enumerate(order)
    ]
    return {
        "context": context,
        "energy_name": energy_name,
        "ranking": ranking,
        "best_candidate": ranking[0]["candidate"],
        "interpretation": RANKING_INTERPRETATION,
    }
