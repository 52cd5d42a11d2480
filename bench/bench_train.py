"""Benchmark the tiny JEPA (issue 9; notebook 08_training_a_tiny_jepa).

    .venv/bin/python bench/bench_train.py [--epochs N] [--seeds K]

On the held-out quarter of ``data/training_pairs.tsv`` (seed 0 split),
each held-out context ranks all held-out candidates; the table gives the
top-1 ranking accuracy (chance = 1 / n) of:

1. the trained energies (MiniLM features whitened to 32 dims, head of 16
   dims): untrained, frozen target, prediction cost alone, VICReg,
   InfoNCE, with a linear and a one-hidden-layer predictor; the mean and
   spread over ``--seeds`` initialisations, plus the final min per-dim std
   and effective rank of the target embeddings;
2. the series' untrained energies on the same pairs: MiniLM cosine, the
   joint cosine energy, the mean and the softmax pairwise energies.

Also the training speed, as a ratio: one epoch against one pass of
MiniLM over the same texts would be unfair (MiniLM is cached), so it is
given as pairs per second of training. Uses the disk cache of the
encoder (the first run encodes 720 sentences).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from jepa_helpers.glove import load_glove
from jepa_helpers.scoring import Scorer
from jepa_helpers.train import Objective, TinyJEPA, fit, ranking_accuracy
from jepa_helpers.training_pairs import (
    load_pairs,
    prepare_split,
    sentence_features,
    training_encoder,
)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--seeds", type=int, default=5)
    a = ap.parse_args()
    encoder = training_encoder("offline")
    glove = load_glove()
    pairs = load_pairs()
    split = prepare_split(
        pairs, lambda t: sentence_features(t, encoder=encoder), dim=32
    )
    held = split.held
    n = len(held)
    print(f"{len(split.train)} training pairs, {n} held-out; chance {1/n:.3f}")
    print(f"{'energy':34s} {'accuracy':>16s} {'min std':>8s} {'rank':>5s}")
    train, ho = (split.X, split.Y), (split.X_held, split.Y_held)
    runs = [
        ("frozen target", 0, False, "prediction"),
        ("prediction cost alone", 0, True, "prediction"),
        ("VICReg", 0, True, "vicreg"),
        ("InfoNCE", 0, True, "infonce"),
        ("prediction cost alone, MLP", 64, True, "prediction"),
        ("VICReg, MLP", 64, True, "vicreg"),
        ("InfoNCE, MLP", 64, True, "infonce"),
    ]
    untrained, seconds, steps = [], 0.0, 0
    for label, hidden, head, kind in runs:
        acc, std, rank = [], [], []
        for seed in range(a.seeds):
            m = TinyJEPA.create(32, 32, 16, hidden, head, seed)
            t = time.perf_counter()
            r = fit(m, train, ho, Objective(kind), a.epochs, seed=seed)
            seconds += time.perf_counter() - t
            steps += a.epochs * len(split.train)
            untrained.append(r.history[0].diagnostics.accuracy)
            acc.append(r.final.accuracy)
            std.append(r.final.std.min())
            rank.append(r.final.effective_rank)
        print(
            f"{label:34s} {np.mean(acc):8.3f} ± {np.std(acc):.3f} "
            f"{np.mean(std):8.3f} {np.mean(rank):5.1f}"
        )
    print(f"{'untrained (all inits)':34s} {np.mean(untrained):8.3f}")
    S = sentence_features(
        [p.context for p in held] + [p.candidate for p in held],
        encoder=encoder,
    )
    cos = 1 - S[:n] @ S[n:].T
    print(
        f"{'MiniLM cosine (frozen encoder)':34s} {ranking_accuracy(cos):8.3f}"
    )
    scorer = Scorer(glove, encoder)
    cands = [p.candidate for p in held]
    for name in ("joint", "pairwise", "softmax"):
        E = np.stack([scorer.energies(p.context, cands, name) for p in held])
        print(f"{'seed energy: ' + name:34s} {ranking_accuracy(E):8.3f}")
    print(f"training: {steps / seconds:,.0f} pair-steps/s")


if __name__ == "__main__":
    main()
