"""The main job, ``make demo``: the seed's default pair with every energy.

Until the agent loop lands this prints each energy's tool result between
the seed's banner lines; no model call is made.
"""

from __future__ import annotations

import argparse
import json

from .scoring import ENERGIES

BANNER = "=" * 16


def run_demo(args: argparse.Namespace) -> int:
    from .__main__ import SEED_CANDIDATE, SEED_CONTEXT, make_scorer

    context = args.context or SEED_CONTEXT
    candidate = args.candidate or SEED_CANDIDATE
    print(f"Context   : {context}")
    print(f"Candidate : {candidate}")
    for energy in ENERGIES:
        scorer = make_scorer(args.glove, args.encoder, args.match_dims, energy)
        print(
            f"[INFO] GloVe: {scorer.glove.name}, "
            f"{len(scorer.glove):,} vectors of dim {scorer.glove.dim}"
        )
        if "sentence" in ENERGIES[energy] and scorer.encoder is None:
            print(f"[INFO] skipping --energy {energy}: no sentence encoder")
            continue
        result = scorer.score(
            context,
            candidate,
            energy=energy,
            tau=args.temperature,
            top_k=args.top_k,
            alpha=args.alpha,
            verbose=True,
        )
        print(f"\n{BANNER} {energy.upper()} ENERGY {BANNER}")
        print(json.dumps(result, indent=2))
    return 0
