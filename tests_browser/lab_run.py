"""Running notebooks in JupyterLab once each, keeping what they showed.

One JupyterLab server (on copies of ``notebooks/``) and one headless
Chromium serve a test session; ``Runner.run`` opens a notebook, clears and
runs it, and keeps what the page then shows (cell report, screenshot) so
that several tests can check one run. Screenshots and the server log go
to ``screenshots/browser/`` (git-ignored).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from lab_page import CellView, NotebookPage
from lab_server import LabServer

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SHOTS = ROOT / "screenshots" / "browser"
#: Debian's chromium; never a browser downloaded by a tool.
CHROMIUM = os.environ.get("JEPA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Longest a notebook's Run All may take before the test fails.
RUN_TIMEOUT = 150.0

_written: list[Path] = []


#: Seconds from opening each notebook to the end of its Run All.
run_seconds: dict[str, float] = {}


def written() -> list[Path]:
    """Screenshots written so far, in order."""
    return list(_written)


def record(path: Path) -> Path:
    """Remember a written screenshot; its path is printed at the end."""
    _written.append(path)
    return path


def notebook_names() -> list[str]:
    """Every notebook of the series, in name order."""
    return sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))


@dataclass
class NotebookRun:
    """One notebook after Run All: the page, what it showed, the file."""

    view: NotebookPage
    cells: list[CellView]
    stored: dict
    screenshot: Path
    seconds: float


class Runner:
    """Runs each notebook once in its own tab; keeps the result."""

    def __init__(self, server: LabServer, context):
        self.server = server
        self.context = context
        self.runs: dict[str, NotebookRun] = {}

    def run(self, name: str) -> NotebookRun:
        if name not in self.runs:
            stored = json.loads((NOTEBOOKS / name).read_text())
            runnable = [
                c["cell_type"] == "code" and "".join(c["source"]).strip()
                for c in stored["cells"]
            ]
            view = NotebookPage(self.server, self.context.new_page(), name)
            t = time.monotonic()
            try:
                view.open()
                view.run_all([bool(r) for r in runnable], RUN_TIMEOUT)
            except Exception:
                failed = SHOTS / f"{Path(name).stem}-failed.png"
                view.page.screenshot(path=failed)
                record(failed)
                raise
            seconds = time.monotonic() - t
            run_seconds[name] = seconds
            cells = view.cells()
            shot = record(view.screenshot(SHOTS / f"{Path(name).stem}.png"))
            self.runs[name] = NotebookRun(view, cells, stored, shot, seconds)
        return self.runs[name]

    def release(self, name: str) -> None:
        """Close the notebook's tab and shut its kernel down."""
        run = self.runs.get(name)
        if run is not None and not run.view.page.is_closed():
            run.view.page.close()
            self.server.close_session(name)
