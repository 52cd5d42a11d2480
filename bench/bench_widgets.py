"""How fast an explorer reacts: one control change -> recompute + redraw.

    python bench/bench_widgets.py [--repeats 15]

Builds the two explorers of the series (03's Boltzmann bars, 04's pair
heatmaps) on the seed's example texts, with the Agg backend, and sets
their controls programmatically, the way a slider release or an edited
text box does in Jupyter. The timed span is the whole callback that
ipywidgets runs: energies recomputed, figure redrawn in place, rendered
once to PNG and handed to ``display``. Target: <= 100 ms per change
(issue 6). For contrast, the same view is also drawn the naive way (a new
figure per change, rendered like the inline backend with a tight bounding
box); the ratio says what the in-place redraw buys on this machine.

The sentence encoder is the offline one (MiniLM) behind a temporary disk
cache, warmed with the default texts; a new text in a text box is a cache
miss and is embedded inside the timed span. On a busy 2-core machine
OpenBLAS's default two threads make MiniLM's small matrix products about
30x slower than one thread (measured: ~340 ms vs ~11 ms for one short
text); run with ``OPENBLAS_NUM_THREADS=1`` to see the difference.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from jepa_helpers import examples, plots, session, widgets  # noqa: E402
from jepa_helpers.encoders import default_encoder  # noqa: E402
from jepa_helpers.glove import load_glove  # noqa: E402
from jepa_helpers.scoring import Scorer  # noqa: E402

TARGET_MS = 100.0


def timed(set_value, values, repeats: int) -> list[float]:
    """Milliseconds of each ``set_value(v)``, cycling through ``values``."""
    out = []
    for k in range(repeats):
        t = time.perf_counter()
        set_value(values[k % len(values)])
        out.append((time.perf_counter() - t) * 1000)
    return out


def naive(view, repeats: int) -> list[float]:
    """A new figure per change, rendered like the inline backend."""
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        fig, _ = view()
        fig.savefig(io.BytesIO(), format="png", bbox_inches="tight")
        plt.close(fig)
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    n = parser.parse_args().repeats
    plots.use_style()
    shown = []
    widgets.display = lambda image: shown.append(len(image.data))
    x, y = examples.SEED_CONTEXT, examples.SEED_CANDIDATE
    candidates = [*examples.RELATED[:4], *examples.UNRELATED[:4]]
    rows = []
    with session.temporary_cache():
        scorer = Scorer(load_glove(), default_encoder("offline"))
        scorer.energies(x, candidates, "joint")  # warm model and cache
        pair = widgets.pairwise_explorer(scorer, x, y)
        c = pair.controls
        set_ = lambda name: lambda v: setattr(c[name], "value", v)  # noqa
        rows += [
            ("04 pairwise", "tau slider", timed(set_("tau"), [0.2, 1.0], n)),
            (
                "04 pairwise",
                "energy toggle",
                timed(set_("energy"), ["pairwise", "softmax"], n),
            ),
            (
                "04 pairwise",
                "candidate text",
                timed(set_("candidate"), [candidates[1], y], n),
            ),
        ]
        bolt = widgets.boltzmann_explorer(scorer, x, candidates)
        c = bolt.controls
        new_texts = [f"A dog fetches ball number {k}." for k in range(n)]
        rows += [
            (
                "03 Boltzmann",
                "alpha slider",
                timed(set_("alpha"), [0.3, 0.7], n),
            ),
            ("03 Boltzmann", "tau slider", timed(set_("tau"), [0.05, 0.5], n)),
            (
                "03 Boltzmann",
                "context text (cached)",
                timed(set_("context"), [candidates[5], x], n),
            ),
            (
                "03 Boltzmann",
                "candidates text (1 new)",
                timed(
                    set_("candidates"),
                    ["\n".join([*candidates, t]) for t in new_texts],
                    n,
                ),
            ),
        ]
        slow_pair = naive(
            lambda: widgets.pairwise_view(scorer, x, y, tau=0.2), n
        )
        slow_bolt = naive(
            lambda: widgets.boltzmann_view(scorer, x, candidates, 0.1), n
        )
    print(f"explorer reaction, {n} changes each (median / p90 / max, ms)")
    worst = 0.0
    for explorer, control, ms in rows:
        med, p90 = statistics.median(ms), statistics.quantiles(ms, n=10)[-1]
        worst = max(worst, med)
        ok = "ok" if med <= TARGET_MS else "OVER"
        print(
            f"  {explorer:<13} {control:<24} {med:6.1f} {p90:6.1f} "
            f"{max(ms):6.1f}  {ok}"
        )
    pair_fast = statistics.median(rows[0][2])
    bolt_fast = statistics.median(rows[3][2])
    print(
        f"naive redraw (new figure, tight PNG): pairwise "
        f"{statistics.median(slow_pair):.1f} ms "
        f"({statistics.median(slow_pair) / pair_fast:.1f}x the explorer), "
        f"Boltzmann {statistics.median(slow_bolt):.1f} ms "
        f"({statistics.median(slow_bolt) / bolt_fast:.1f}x)"
    )
    print(f"worst median {worst:.1f} ms, target {TARGET_MS:.0f} ms")
    print(f"{len(shown)} PNGs displayed")
    return 0 if worst <= TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
