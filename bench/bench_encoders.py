"""Benchmark the sentence encoders (issue 3; notebook 02_gpt_embeddings).

    .venv/bin/python bench/bench_encoders.py [--st-python PATH]
        [--threads N] [--skip-minilm]

1. MiniLM (numpy) vs sentence-transformers, each in a fresh process:
   import time, first call (weights load + 1 sentence), then sentences/s
   for batches of 1, 32 and 256 (medians of 3 runs). sentence-transformers
   runs with ``--st-python`` (default ``/tmp/stref/bin/python``, the
   throwaway venv of ``tests/fixtures/make_minilm_reference.py``); if
   that interpreter is missing its column says "not measured".
2. The disk cache: the texts of 1 000 pairs embedded twice through
   ``CachedEncoder(OpenAIEncoder)`` pointed at a local counting HTTP
   server; the second pass must send zero requests.

Sentences are ~20 words drawn deterministically from a fixed word list.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BATCHES = (1, 32, 256)
WORDS = (
    "the a child dog cat park ball red green blue runs plays throws "
    "happily across under over river mountain energy model joint "
    "embedding space predicts target context candidate score low high "
    "learns quickly slowly bright dark small large old young city night "
    "morning music plays loud quiet train station waits for rain sun"
).split()


def sentences(n: int, seed: int = 0, words: int = 20) -> list[str]:
    """``n`` deterministic sentences of about ``words`` words."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        k = words + rng.randint(-4, 4)
        s = " ".join(rng.choice(WORDS) for _ in range(k))
        out.append(s[0].upper() + s[1:] + ".")
    return out


def _throughput(encode, batch: int) -> float:
    """Median sentences/s of encoding ``max(64, batch)`` texts, 3 runs."""
    n = max(64, batch) if batch > 1 else 64
    texts = sentences(n, seed=batch)
    encode(texts[:batch])  # warm-up at this size
    rates = []
    for _ in range(3):
        t0 = time.perf_counter()
        for i in range(0, n, batch):
            encode(texts[i : i + batch])
        rates.append(n / (time.perf_counter() - t0))
    return sorted(rates)[1]


def worker(kind: str, model_dir: str) -> None:
    """Run in a fresh process; print one JSON line of timings."""
    t0 = time.perf_counter()
    if kind == "minilm":
        sys.path.insert(0, str(ROOT))
        from jepa_helpers.encoders import MiniLMEncoder

        t1 = time.perf_counter()
        enc = MiniLMEncoder(model_dir)
        encode = enc.encode
    else:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        t1 = time.perf_counter()
        model = SentenceTransformer(model_dir, device="cpu")

        def encode(texts):
            return model.encode(texts, batch_size=len(texts))

    encode(["A first sentence."])
    t2 = time.perf_counter()
    result = {"import_s": t1 - t0, "first_call_s": t2 - t0}
    for b in BATCHES:
        result[f"batch_{b}"] = _throughput(encode, b)
    print(json.dumps(result))


def _run_worker(
    python: str, kind: str, model_dir: str, threads: int | None
) -> dict | None:
    cmd = [python, __file__, "--worker", kind, "--model-dir", model_dir]
    env = dict(os.environ, TQDM_DISABLE="1", HF_HUB_OFFLINE="1")
    if threads:  # numpy's OpenBLAS and torch's OpenMP pools alike
        env.update(
            OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads)
        )
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        print(f"  {kind} worker failed:\n{proc.stderr[-2000:]}")
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def bench_minilm(st_python: str, threads: int | None) -> None:
    sys.path.insert(0, str(ROOT))
    from jepa_helpers.minilm import default_model_dir

    model_dir = str(default_model_dir())
    ours = _run_worker(sys.executable, "minilm", model_dir, threads)
    st = None
    if Path(st_python).exists():
        st = _run_worker(st_python, "st", model_dir, threads)
    print(
        "MiniLM (numpy) vs sentence-transformers, fresh processes, "
        f"{threads or 'default'} BLAS thread(s)"
    )
    print(f"{'':28}{'numpy':>12}{'sent-tr':>12}{'ratio':>10}")
    rows = [
        ("import (s)", "import_s", False),
        ("import + first call (s)", "first_call_s", False),
    ] + [(f"batch {b} (sentences/s)", f"batch_{b}", True) for b in BATCHES]
    for label, key, higher_better in rows:
        a = ours[key] if ours else float("nan")
        if st is None:
            print(f"{label:28}{a:12.3f}{'not measured':>22}")
            continue
        b = st[key]
        ratio = a / b if higher_better else b / a
        print(f"{label:28}{a:12.3f}{b:12.3f}{ratio:9.2f}x")
    print("ratio > 1 means the numpy encoder is faster")


def bench_cache() -> None:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "tests"))
    import openai

    from counting_embeddings_server import CountingEmbeddingsServer
    from jepa_helpers.encoders import CachedEncoder, OpenAIEncoder

    texts = sentences(2000, seed=7)  # 1 000 (context, candidate) pairs
    print("\nCachedEncoder(OpenAIEncoder) on a local counting server")
    print(f"{len(texts) // 2} pairs, {len(set(texts))} distinct texts")
    with (
        CountingEmbeddingsServer() as srv,
        tempfile.TemporaryDirectory(prefix="bench-cache-") as tmp,
    ):
        client = openai.OpenAI(
            api_key="sk-bench", base_url=srv.base_url, max_retries=0
        )
        for run in (1, 2):
            enc = CachedEncoder(OpenAIEncoder(client), directory=tmp)
            before = len(srv.requests)
            t0 = time.perf_counter()
            out = enc.encode(texts)
            dt = time.perf_counter() - t0
            print(
                f"pass {run}: {len(srv.requests) - before} requests, "
                f"hits {enc.hits}, misses {enc.misses}, "
                f"{dt:.2f} s, vectors {out.shape}"
            )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--st-python", default="/tmp/stref/bin/python")
    p.add_argument("--worker", choices=["minilm", "st"])
    p.add_argument("--model-dir")
    p.add_argument("--skip-minilm", action="store_true")
    p.add_argument(
        "--threads",
        type=int,
        help="BLAS/OpenMP threads for both encoders (default: theirs)",
    )
    args = p.parse_args()
    if args.worker:
        worker(args.worker, args.model_dir)
        return
    if not args.skip_minilm:
        bench_minilm(args.st_python, args.threads)
    bench_cache()


if __name__ == "__main__":
    main()
