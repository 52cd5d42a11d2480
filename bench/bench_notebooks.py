"""The notebook budget: the whole nbval run, and each notebook's first cell.

    python bench/bench_notebooks.py [--skip-nbval]

1. Runs ``pytest --nbval`` over ``notebooks/`` exactly as ``make nbval``
   does (offline, current env, sanitize file) and times the whole run.
   Budget: 120 s on a 2-core machine (issue 6).
2. Executes each notebook once more in a fresh kernel (nbclient, outputs
   discarded, the files are not touched) and reads the per-cell timing
   nbclient records: the first (setup) cell, the slowest cell, the total.
   Budget: first cell <= 5 s.

Times are wall-clock on a shared machine: compare them with the budgets,
not across runs.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NBVAL_BUDGET_S = 120.0
FIRST_CELL_BUDGET_S = 5.0
ENV = {"JEPA_OFFLINE": "1", "TQDM_DISABLE": "1", "MPLBACKEND": "Agg"}


def _executor():
    spec = importlib.util.spec_from_file_location(
        "execute_notebooks", ROOT / "tools" / "execute_notebooks.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def nbval_seconds() -> tuple[float, int]:
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    env.update(ENV)
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "--nbval",
        "--nbval-current-env",
        "--nbval-sanitize-with",
        "tests/nbval_sanitize.cfg",
        "--nbval-cell-timeout=120",
        "--nbval-kernel-startup-timeout=120",
        "notebooks",
    ]
    t = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True)
    return time.perf_counter() - t, done.returncode


def _seconds(cell) -> float:
    timing = cell.metadata.get("execution", {})
    start = timing.get("iopub.execute_input")
    end = timing.get("shell.execute_reply")
    if not (start and end):
        return float("nan")
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa
    return (parse(end) - parse(start)).total_seconds()


def cell_times(path: Path, specs) -> list[float]:
    nb = nbformat.read(path, as_version=4)
    km = KernelManager(kernel_name=specs.CURRENT_ENV)
    km.kernel_spec_manager = specs.CurrentEnvSpecs()
    NotebookClient(
        nb,
        km=km,
        timeout=600,
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=True,
        store_widget_state=True,
    ).execute()
    return [_seconds(c) for c in nb.cells if c.cell_type == "code"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-nbval", action="store_true")
    args = parser.parse_args()
    os.environ.pop("OPENAI_API_KEY", None)
    os.environ.update(ENV)
    ok = True
    if not args.skip_nbval:
        seconds, code = nbval_seconds()
        ok &= code == 0 and seconds <= NBVAL_BUDGET_S
        print(
            f"nbval over notebooks/: {seconds:.1f} s (budget "
            f"{NBVAL_BUDGET_S:.0f} s), pytest exit status {code}"
        )
    specs = _executor()
    print("notebook                              first cell  slowest   cells")
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        times = cell_times(path, specs)
        first, slowest, total = times[0], max(times), sum(times)
        ok &= first <= FIRST_CELL_BUDGET_S
        flag = "" if first <= FIRST_CELL_BUDGET_S else "  OVER"
        print(
            f"{path.stem:<36} {first:8.2f} s {slowest:7.2f} s "
            f"{total:7.2f} s{flag}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
