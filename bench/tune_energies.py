"""Choose the shaped energies' settings on STS-B train + dev (never test).

For each setting, Spearman's rho of ``-E`` against the gold scores on the
train and dev splits and on both together; the choice is the best value
on train + dev. The script then says whether the defaults in
``jepa_helpers.shaping`` / ``shaped_scoring`` are those choices.

    .venv/bin/python bench/tune_energies.py            # everything
    .venv/bin/python bench/tune_energies.py --only tau  # sif_a, tau, ot, alpha

Needs ``../shared/eval`` (or ``$JEPA_EVAL_DIR``); the sentence view is the
offline MiniLM behind the disk cache (the first run encodes ~14 000
sentences, about a minute).
"""

from __future__ import annotations

import argparse
import sys

import eval_sets
import numpy as np

from jepa_helpers import shaped_scoring as SS
from jepa_helpers import shaping as S
from jepa_helpers.evaluation import pair_energies, spearman
from jepa_helpers.glove import load_glove
from jepa_helpers.scoring import Scorer


def rho_table(title, grid, score_fn, splits, current, pick=None):
    """Print rho per setting; return the chosen setting.

    The choice is the best rho on train + dev, or ``pick(rhos)`` given
    ``{setting: rho on train + dev}``.
    """
    print(f"\n### {title}\n")
    print("| setting | train | dev | train + dev |")
    print("|---|---:|---:|---:|")
    best, best_rho, table = None, -np.inf, {}
    for value in grid:
        rhos = []
        sims_all, gold_all = [], []
        for data in splits:
            sims = score_fn(value, data)
            rhos.append(spearman(sims, data.gold))
            sims_all.extend(sims)
            gold_all.extend(data.gold)
        both = spearman(sims_all, gold_all)
        table[value] = both
        mark = " (default)" if value == current else ""
        print(
            f"| {value}{mark} | {rhos[0]:.4f} | {rhos[1]:.4f} | {both:.4f} |"
        )
        if both > best_rho:
            best, best_rho = value, both
    if pick is not None:
        best = pick(table)
    verdict = "matches" if best == current else "DIFFERS from"
    print(f"\nchosen on train + dev: {best} ({table[best]:.4f}); {verdict} "
          f"the default {current}")  # fmt: skip
    return best


def neg_energy(scorer, energy, **opts):
    def fn(_value, data):
        return -pair_energies(scorer, data.pairs, energy, **opts)

    return fn


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=["sif_a", "tau", "ot", "alpha"])
    args = ap.parse_args()
    if not eval_sets.available():
        print(f"no evaluation data at {eval_sets.EVAL_DIR}", file=sys.stderr)
        return 1
    splits = [eval_sets.sts("train"), eval_sets.sts("dev")]
    glove = load_glove(None)
    scorer = Scorer(glove)
    mismatches = 0

    if args.only in (None, "sif_a"):
        for energy in ("sif", "greedy", "wmd"):

            def by_a(a, data, energy=energy):
                scorer._weights = SS.VocabularyWeights(glove, a)
                return -pair_energies(scorer, data.pairs, energy)

            best = rho_table(
                f"SIF a (energy {energy})",
                [1e-3, 3e-4, 1e-4, 3e-5],
                by_a,
                splits,
                S.SIF_A,
            )
            mismatches += energy == "sif" and best != S.SIF_A
        scorer._weights = None

    if args.only in (None, "tau"):
        for energy, current in (
            ("stopword_softmax", SS.STOPWORD_TAU),
            ("sif_softmax", SS.SIF_TAU),
        ):

            def by_tau(tau, data, energy=energy):
                return -pair_energies(scorer, data.pairs, energy, tau=tau)

            best = rho_table(
                f"tau ({energy})",
                [0.05, 0.1, 0.2, 0.5, 1.0],
                by_tau,
                splits,
                current,
            )
            mismatches += best != current

    if args.only in (None, "ot"):
        lookups = {}

        def by_ot(setting, data):
            eps, iters = setting
            W = scorer.vocab_weights
            out = []
            for x, y in data.pairs:
                for t in (x, y):
                    if t not in lookups:
                        L = scorer.lookup(t)
                        lookups[t] = (L.matrix, W.of_tokens(L.tokens, "sif"))
                (H, a), (K, b) = lookups[x], lookups[y]
                out.append(
                    -S.transport_energy(H, K, a, b, eps, iters, 0).value
                )
            return out

        def fewest_iterations(table):
            """Fewest iterations within 0.0005 of the best rho (speed)."""
            top = max(table.values())
            near = [k for k, r in table.items() if r >= top - 5e-4]
            return min(near, key=lambda k: (k[1], -table[k]))

        grid = [(e, i) for e in (0.05, 0.1, 0.2) for i in (10, 20, 30, 50)]
        best = rho_table(
            "Sinkhorn (eps, iterations) of wmd: fewest iterations within "
            "0.0005 of the best",
            grid,
            by_ot,
            splits,
            (S.OT_EPS, S.OT_ITERS),
            pick=fewest_iterations,
        )
        mismatches += best != (S.OT_EPS, S.OT_ITERS)

    if args.only in (None, "alpha"):
        from jepa_helpers.encoders import default_encoder

        joint = Scorer(glove, default_encoder("offline"))
        texts = sorted({t for d in splits for p in d.pairs for t in p})
        joint.sentence_vectors(texts)  # fill the disk cache in one batch

        def by_alpha(alpha, data):
            return -pair_energies(joint, data.pairs, "joint_sif", alpha=alpha)

        best = rho_table(
            "alpha (joint_sif, MiniLM offline)",
            [0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5],
            by_alpha,
            splits,
            SS.JOINT_SIF_ALPHA,
        )
        mismatches += best != SS.JOINT_SIF_ALPHA
    return 0 if not mismatches else 3


if __name__ == "__main__":
    sys.exit(main())
