"""Fixtures of the browser tests: JupyterLab, Chromium, the runner.

The paths of the screenshots written are printed at the end of the run.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from lab_run import (
    CHROMIUM,
    CHROMIUM_ARGS,
    NOTEBOOKS,
    ROOT,
    SHOTS,
    Runner,
    run_seconds,
    written,
)
from lab_server import MARKER, LabServer


def pytest_terminal_summary(terminalreporter):
    if run_seconds:
        terminalreporter.section("JupyterLab: open + Run All, seconds")
        for name, seconds in run_seconds.items():
            terminalreporter.write_line(f"{seconds:6.1f}  {name}")
    if written():
        terminalreporter.section("browser screenshots")
        for path in written():
            terminalreporter.write_line(str(path.relative_to(ROOT)))


@pytest.fixture(scope="session")
def lab():
    """A JupyterLab server on copies of the notebooks; stopped at the end.

    Stopping also ends every process the run started (found by the
    marker in their environment) and fails if one survives.
    """
    SHOTS.mkdir(parents=True, exist_ok=True)
    server = LabServer(NOTEBOOKS, log_dir=SHOTS)
    try:
        server.start()
        yield server
    finally:
        survivors = server.stop()
        assert not survivors, f"processes left running: {survivors}"


@pytest.fixture(scope="session")
def browser_context(lab):
    """Headless Debian chromium driven by Playwright, fresh profile."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"no browser at {CHROMIUM}: install Debian's chromium "
            "(apt-get install chromium chromium-driver) or set JEPA_CHROMIUM"
        )
    from playwright.sync_api import sync_playwright

    profile = Path(tempfile.mkdtemp(prefix="jepa-chromium-"))
    env = {**os.environ, MARKER: lab.marker}
    # Never let Playwright fetch a browser of its own.
    env["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1"
    try:
        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                str(profile),
                executable_path=CHROMIUM,
                args=CHROMIUM_ARGS,
                env=env,
                viewport={"width": 1280, "height": 1000},
            )
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="session")
def runner(lab, browser_context):
    runner = Runner(lab, browser_context)
    yield runner
    for name in list(runner.runs):
        runner.release(name)
