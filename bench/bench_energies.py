"""Speed of every energy's batched form, as ratios to the unshaped ones.

One context of 12 words against N candidates of 8-16 words (words drawn
from the 20 000 most frequent GloVe words, seeded), through
``Scorer.energies`` (tokenising and lookups included). GloVe-only energies
are compared with the seed's softmax pairwise energy, the joint ones with
the seed's joint energy; the sentence view is a table of precomputed
vectors, so the joint figures measure the energy, not the encoder. Each
figure is the median of ``--repeat`` runs; the machine is shared, so read
the ratios, which are measured side by side, rather than the rates.

    .venv/bin/python bench/bench_energies.py [--n 20000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from jepa_helpers.glove import load_glove
from jepa_helpers.scoring import ENERGIES, Scorer


class TableEncoder:
    """Sentence vectors looked up from a table filled beforehand."""

    name, dim = "table", 384

    def __init__(self, texts, seed=0):
        rng = np.random.default_rng(seed)
        V = rng.normal(size=(len(texts), self.dim)).astype(np.float32)
        V /= np.linalg.norm(V, axis=1, keepdims=True)
        self.rows = {t: i for i, t in enumerate(texts)}
        self.V = V

    def encode(self, texts):
        return self.V[[self.rows[t] for t in texts]]


def make_texts(glove, n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    words = [glove.vocab.word(r) for r in range(20_000)]
    words = [w for w in words if w.isalpha()]
    context = " ".join(rng.choice(words, 12))
    lens = rng.integers(8, 17, n)
    cands = [" ".join(rng.choice(words, k)) for k in lens]
    return context, cands


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    glove = load_glove(None)
    context, cands = make_texts(glove, args.n)
    scorer = Scorer(glove, TableEncoder([context, *cands]))
    scorer.energies(context, cands[:100], "sif")  # weights, common dir
    names = list(ENERGIES)
    times = {name: [] for name in names}
    for _ in range(args.repeat):
        for name in names:  # interleaved: noise hits all alike
            t0 = time.perf_counter()
            scorer.energies(context, cands, name)
            times[name].append(time.perf_counter() - t0)
    rate = {n: args.n / float(np.median(t)) for n, t in times.items()}
    print(f"N = {args.n:,} pairs, 12-word context, 8-16-word candidates, "
          f"median of {args.repeat}")  # fmt: skip
    print()
    print("| energy | views | pairs/s | slowdown vs unshaped |")
    print("|---|---|---:|---|")
    for name in names:
        base = "joint" if "sentence" in ENERGIES[name] else "softmax"
        ratio = rate[base] / rate[name]
        print(
            f"| {name} | {'+'.join(ENERGIES[name])} | {rate[name]:,.0f} | "
            f"{ratio:.2f}x of {base} |"
        )


if __name__ == "__main__":
    main()
