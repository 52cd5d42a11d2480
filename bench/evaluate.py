"""Spearman correlation of every energy with human judgements: one table.

Rows: every energy of ``scoring.ENERGIES`` with its default settings
(chosen on STS-B train + dev by ``bench/tune_energies.py``), the sentence
view being the offline all-MiniLM-L6-v2, plus "sentence only" (the
MiniLM cosine, i.e. joint with alpha = 0). Columns: Spearman's rho of
``-E`` against

- our labelled set ``data/labelled_pairs.jsonl``: all labels, and labels
  1-4 (without the contradictions), and the within-context pair accuracy;
- when ``../shared/eval`` is present: STS-B train, dev and test, SICK-R
  test.

A second, small table: GloVe word cosines on the word-similarity sets
(WordSim-353, SimLex-999, MEN), pairs with an unknown word left out.

    .venv/bin/python bench/evaluate.py [--no-shared] [--energies a,b]
"""

from __future__ import annotations

import argparse
import sys

import eval_sets
import numpy as np

from jepa_helpers.evaluation import (
    load_labelled_pairs,
    pair_energies,
    ranking_report,
    spearman,
)
from jepa_helpers.glove import load_glove
from jepa_helpers.scoring import ENERGIES, Scorer

SENTENCE_ONLY = "sentence only (MiniLM cosine)"


def energies_of(scorer, name, pairs):
    if name == SENTENCE_ONLY:
        return pair_energies(scorer, pairs, "joint", alpha=0.0)
    return pair_energies(scorer, pairs, name)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-shared", action="store_true",
                    help="only our labelled set")  # fmt: skip
    ap.add_argument("--energies", help="comma-separated subset")
    args = ap.parse_args()
    from jepa_helpers.encoders import default_encoder

    glove = load_glove(None)
    scorer = Scorer(glove, default_encoder("offline"))
    names = list(ENERGIES) + [SENTENCE_ONLY]
    if args.energies:
        names = [n for n in names if n in args.energies.split(",")]
    ours = load_labelled_pairs()
    our_pairs = [(p.context, p.candidate) for p in ours]
    scores = np.array([p.score for p in ours])
    groups = np.array([p.group for p in ours])
    sim = scores > 0
    sets = []
    if not args.no_shared and eval_sets.available():
        sets = [eval_sets.sts(s) for s in ("train", "dev", "test")]
        sets.append(eval_sets.sick("test"))
    elif not args.no_shared:
        print(f"(no {eval_sets.EVAL_DIR}: our set only)\n")
    texts = sorted({t for d in sets for p in d.pairs for t in p})
    scorer.sentence_vectors(texts + [t for p in our_pairs for t in p])

    head = ["energy", "ours rho (all)", "ours rho (1-4)", "ours pair acc."]
    head += [d.name for d in sets]
    print("| " + " | ".join(head) + " |")
    print("|---" + "|---:" * (len(head) - 1) + "|")
    for name in names:
        E = energies_of(scorer, name, our_pairs)
        rep_all = ranking_report(E, scores, groups)
        rep_sim = ranking_report(E[sim], scores[sim], groups[sim])
        cells = [
            f"{rep_all.spearman:.3f}",
            f"{rep_sim.spearman:.3f}",
            f"{rep_all.pair_accuracy:.3f}",
        ]
        for d in sets:
            cells.append(f"{spearman(-energies_of(scorer, name, d.pairs), d.gold):.3f}")  # fmt: skip
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)

    if sets:
        print("\n| word vectors | " + " | ".join(eval_sets.WORD_SETS) + " |")
        print("|---" + "|---:" * len(eval_sets.WORD_SETS) + "|")
        cells = []
        for set_name in eval_sets.WORD_SETS:
            d = eval_sets.word_similarity(set_name)
            rows = [(glove.ids([a])[0], glove.ids([b])[0]) for a, b in d.pairs]
            keep = [n for n, (a, b) in enumerate(rows) if a >= 0 and b >= 0]
            V = np.asarray(glove.vectors[np.array(rows)[keep].ravel()])
            V = V.reshape(len(keep), 2, glove.dim).astype(np.float64)
            V /= np.linalg.norm(V, axis=2, keepdims=True)
            cos = (V[:, 0] * V[:, 1]).sum(1)
            rho = spearman(cos, np.asarray(d.gold)[keep])
            cells.append(f"{rho:.3f} ({len(keep)}/{len(d.pairs)} pairs)")
        print(f"| {glove.name} cosine | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
