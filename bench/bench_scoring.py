"""Benchmark: softmax pairwise energy, candidate pairs per second.

A 12-token context against candidates of 8-16 tokens drawn from the 50 000
most frequent GloVe words (embedded 50-d vectors), word lookups included.
Three ways, side by side in one run, with ratios:

- a pure-Python loop (lists of floats, ``math.exp``);
- a loop of per-pair numpy calls, the seed scripts' way;
- ``Scorer.energies``: one batched call (cold: first call, the word memo
  empty; warm: the same candidates again).

    python bench/bench_scoring.py [--pairs 100000]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from jepa_helpers.glove import load_glove
from jepa_helpers.scoring import Scorer
from jepa_helpers.text import tokenize


def python_loop(glove, context, candidates, tau=0.5):
    """Pure Python: the energy written with lists and math."""

    def vecs(text):
        out = []
        for t in tokenize(text):
            if t in glove:
                v = [float(x) for x in glove.vector(t)]
                n = math.sqrt(sum(x * x for x in v)) or 1.0
                out.append([x / n for x in v])
        return out

    H = vecs(context)
    energies = []
    for c in candidates:
        K = vecs(c)
        phi = [sum(a * b for a, b in zip(h, k)) for h in H for k in K]
        if not phi:
            energies.append(0.0)
            continue
        top = max(phi)
        w = [math.exp((p - top) / tau) for p in phi]
        z = sum(w)
        energies.append(-sum(wi * p for wi, p in zip(w, phi)) / z)
    return energies


def numpy_loop(glove, context, candidates, tau=0.5):
    """The seed's way: per pair, look up, normalise, softmax in numpy."""

    def matrix(text):
        toks = [t for t in tokenize(text) if t in glove]
        if not toks:
            return np.zeros((0, glove.dim), np.float32)
        M = np.stack([glove.vector(t) for t in toks])
        return M / np.linalg.norm(M, axis=1, keepdims=True)

    H = matrix(context)
    out = []
    for c in candidates:
        K = matrix(c)
        if not len(K) or not len(H):
            out.append(0.0)
            continue
        phi = H @ K.T
        w = np.exp((phi - phi.max()) / tau)
        w /= w.sum()
        out.append(float(-(w * phi).sum()))
    return out


def rate(fn, n):
    t = time.perf_counter()
    result = fn()
    return n / (time.perf_counter() - t), result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pairs", type=int, default=100_000)
    args = p.parse_args()
    glove = load_glove(None)
    scorer = Scorer(glove)
    rng = np.random.default_rng(0)
    vocab = np.array(glove.vocab.words(0, 50_000), dtype=object)
    context = " ".join(rng.choice(vocab, 12))
    cands = [" ".join(rng.choice(vocab, rng.integers(8, 17)))
             for _ in range(args.pairs)]  # fmt: skip
    n_py, n_np = min(2_000, args.pairs), min(20_000, args.pairs)
    py, e_py = rate(lambda: python_loop(glove, context, cands[:n_py]), n_py)
    nl, e_np = rate(lambda: numpy_loop(glove, context, cands[:n_np]), n_np)
    cold, e_b = rate(lambda: scorer.energies(context, cands), args.pairs)
    warm, _ = rate(lambda: scorer.energies(context, cands), args.pairs)
    assert np.allclose(e_b[:n_np], e_np, atol=1e-5)
    assert np.allclose(e_b[:n_py], e_py, atol=1e-5)
    print(f"softmax pairwise energy, 12-token context, 8-16-token "
          f"candidates, {glove.name}")  # fmt: skip
    print("| variant | pairs | pairs/s | vs numpy loop |")
    print("|---|---|---|---|")
    for name, n, r in [
        ("pure-Python loop", n_py, py),
        ("loop of per-pair numpy calls (seed)", n_np, nl),
        ("Scorer.energies, batched (cold)", args.pairs, cold),
        ("Scorer.energies, batched (warm)", args.pairs, warm),
    ]:
        print(f"| {name} | {n:,} | {r:,.0f} | {r / nl:.2f}x |")


if __name__ == "__main__":
    main()
