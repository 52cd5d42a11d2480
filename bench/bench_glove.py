"""Benchmark: loading GloVe text, the binary cache and the embedded default.

Makes its own input: a glove.6B.300d-format text file (400 000 words,
about 1 GB) synthesised from the embedded 50-d vectors, kept in
``bench/out/`` (git-ignored). Every reader runs in a fresh process; the
table prints medians of ``--repeat`` runs, peak resident memory and the
speed ratio against the seed scripts' naive loader, all from one run.

    python bench/bench_glove.py              # full size, ~3 minutes
    python bench/bench_glove.py --words 50000 --repeat 1   # quick look
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "out"

# Each snippet runs in a fresh interpreter and prints one JSON line.
PRELUDE = r"""
import json, os, sys, time
def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
def peak_mb():  # VmHWM starts afresh at exec (ru_maxrss would not)
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
path = sys.argv[1]
"""

READERS = {
    "naive dict loop (seed scripts)": r"""
import numpy as np
t = time.perf_counter()
emb = {}
with open(path, encoding="utf-8") as f:
    for line in f:
        parts = line.rstrip().split(" ")
        emb[parts[0]] = np.asarray(parts[1:], dtype="float32")
dt = time.perf_counter() - t
print(json.dumps({"s": dt, "peak": peak_mb(), "rows": len(emb)}))
""",
    "pyarrow.csv, quote_char=False": r"""
import pyarrow as pa, pyarrow.csv as csv
t = time.perf_counter()
tab = csv.read_csv(path, read_options=csv.ReadOptions(
    autogenerate_column_names=True, use_threads=True),
    parse_options=csv.ParseOptions(delimiter=" ", quote_char=False),
    convert_options=csv.ConvertOptions(strings_can_be_null=False))
m = __import__("numpy").stack(
    [c.to_numpy() for c in tab.columns[1:]], axis=1).astype("float32")
dt = time.perf_counter() - t
print(json.dumps({"s": dt, "peak": peak_mb(), "rows": tab.num_rows}))
""",
    "jepa_helpers, first load (parse + cache)": r"""
from jepa_helpers.glove import load_glove
t = time.perf_counter()
g = load_glove(path)
dt = time.perf_counter() - t
print(json.dumps({"s": dt, "peak": peak_mb(), "rows": len(g)}))
""",
    "jepa_helpers, reload from cache": r"""
import numpy, pyarrow, tqdm  # imported by the package anyway
before = rss_mb()
from jepa_helpers.glove import load_glove
t = time.perf_counter()
g = load_glove(path)
g.lookup(["the", "red", "ball"])
dt = time.perf_counter() - t
print(json.dumps({"s": dt, "rss_added": rss_mb() - before,
                  "peak": peak_mb(), "rows": len(g)}))
""",
}

EMBEDDED = {
    "embedded glove.6B.50d, import + first use": r"""
t = time.perf_counter()
from jepa_helpers.glove import load_glove
g = load_glove(None)
g.lookup(["the", "red", "ball"])
print(json.dumps({"s": time.perf_counter() - t, "peak": peak_mb(),
                  "rows": len(g)}))
""",
}


def make_file(path: Path, words: int, dim: int) -> None:
    """A GloVe-format text file from the embedded 50-d vectors."""
    import pyarrow as pa
    import pyarrow.csv as csv

    from jepa_helpers.glove import load_glove

    g = load_glove(None)
    V = np.asarray(g.vectors[:words], dtype=np.float32)
    blocks = [V, V[:, ::-1] * 0.9, np.roll(V, 1, 1) * 1.1, -0.8 * V,
              np.tanh(V), V * V - 0.1]  # fmt: skip
    M = np.concatenate(blocks * (dim // 300 + 1), axis=1)[:, :dim]
    M = np.round(M, 5).astype(np.float32)
    tmp = path.with_suffix(".numbers")
    table = pa.table({f"c{i}": M[:, i] for i in range(dim)})
    csv.write_csv(
        table, tmp, csv.WriteOptions(include_header=False, delimiter=" ")
    )
    with (
        open(tmp, encoding="utf-8") as nums,
        open(path, "w", encoding="utf-8", newline="\n") as out,
    ):
        for word, line in zip(g.vocab.words(0, words), nums):
            out.write(f"{word} {line}")
    tmp.unlink()


def run(code: str, path: str, env: dict) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", PRELUDE + code, path],
        capture_output=True, text=True, env=env, timeout=900,
    )  # fmt: skip
    if proc.returncode:
        return {"error": proc.stderr.strip().splitlines()[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--words", type=int, default=400_000)
    p.add_argument("--dim", type=int, default=300)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--skip-naive", action="store_true")
    args = p.parse_args()
    OUT.mkdir(exist_ok=True)
    path = OUT / f"glove.synth.{args.words}x{args.dim}.txt"
    if not path.exists():
        print(f"writing {path.name} ...", flush=True)
        make_file(path, args.words, args.dim)
    size = path.stat().st_size
    matrix_mb = args.words * args.dim * 4 / 2**20
    print(f"input: {path.name}, {size / 2**20:.0f} MiB text, "
          f"matrix {matrix_mb:.0f} MiB")  # fmt: skip
    env = dict(os.environ, TQDM_DISABLE="1")
    results: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, code in READERS.items():
            if args.skip_naive and name.startswith("naive"):
                continue
            runs = []
            for r in range(args.repeat):
                cache = Path(tmp) / (f"cold{r}" if "first" in name
                                     else "cold0")  # fmt: skip
                env["JEPA_CACHE_DIR"] = str(cache)
                runs.append(run(code, str(path), env))
            results[name] = runs
        for name, code in EMBEDDED.items():
            runs = []
            for r in range(args.repeat):
                env["JEPA_CACHE_DIR"] = str(Path(tmp) / f"emb{r}")
                runs.append(run(code, str(path), env))
            results[name] = runs
            env["JEPA_CACHE_DIR"] = str(Path(tmp) / "emb0")
            results["embedded glove.6B.50d, import + reload"] = [
                run(code, str(path), env) for _ in range(args.repeat)
            ]
    report(results, matrix_mb)


def report(results: dict[str, list[dict]], matrix_mb: float) -> None:
    naive = results.get("naive dict loop (seed scripts)")
    base = statistics.median(r["s"] for r in naive) if naive else None
    print(f"\n| reader | median s | peak MiB | peak / matrix | speed-up |")
    print("|---|---|---|---|---|")
    for name, runs in results.items():
        errs = [r["error"] for r in runs if "error" in r]
        if errs:
            print(f"| {name} | error: {errs[0]} | | | |")
            continue
        s = statistics.median(r["s"] for r in runs)
        peak = statistics.median(r["peak"] for r in runs)
        ratio = f"{base / s:.1f}x" if base else "n/a"
        extra = ""
        if "rss_added" in runs[0]:
            added = statistics.median(r["rss_added"] for r in runs)
            extra = f" (+{added:.0f} MiB resident)"
        print(f"| {name} | {s:.3f} | {peak:.0f}{extra} | "
              f"{peak / matrix_mb:.2f} | {ratio} |")  # fmt: skip


if __name__ == "__main__":
    main()
