"""A throw-away JupyterLab server for the browser tests.

``LabServer`` copies the notebooks into a temporary folder (JupyterLab
never sees the committed files, so neither autosave nor a stray Ctrl+S
can change them), gives JupyterLab its own config, data, runtime,
settings and workspace folders (the user's are untouched), and serves
on 127.0.0.1 with a random free port and a random token, offline
(``JEPA_OFFLINE=1``, ``TQDM_DISABLE=1``: the kernels inherit them).

Every process it starts carries a marker variable in its environment;
``stop()`` shuts the server down through its API, then ends whatever
still carries the marker (server, kernels, their children) and checks in
``/proc`` that nothing is left.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

#: Environment variable set in every process a test run starts.
MARKER = "JEPA_BROWSER_TEST_RUN"

#: User settings for the run: every cell in the DOM (no windowing), no
#: news or update checks (no network), no autosave.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def marked_pids(marker: str) -> list[int]:
    """Pids of live processes whose environment has ``MARKER=marker``."""
    needle = f"{MARKER}={marker}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if state != "Z" and needle in environ.split(b"\0"):
            pids.append(int(entry.name))
    return pids


def end_marked(marker: str, grace: float = 5.0) -> list[int]:
    """SIGTERM, then SIGKILL, every marked process; return the survivors."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = marked_pids(marker)
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace
        while pids and time.monotonic() < deadline:
            time.sleep(0.1)
            pids = marked_pids(marker)
        if not pids:
            return []
    return marked_pids(marker)


class LabServer:
    """JupyterLab on copies of ``notebooks``; see the module docstring."""

    def __init__(self, notebooks: Path, log_dir: Path | None = None):
        self.source = notebooks
        self.tmp = Path(tempfile.mkdtemp(prefix="jepa-lab-"))
        self.root = self.tmp / "notebooks"
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.marker = secrets.token_hex(8)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = (log_dir or self.tmp) / "jupyterlab.log"
        self.proc: subprocess.Popen | None = None

    # ---------------------------------------------------------- start

    def _write_settings(self, folder: Path) -> None:
        for plugin, values in LAB_SETTINGS.items():
            path = folder / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))

    def _environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
        for name in ("config", "data", "runtime"):
            (self.tmp / name).mkdir()
        env.update(
            JUPYTER_CONFIG_DIR=str(self.tmp / "config"),
            JUPYTER_DATA_DIR=str(self.tmp / "data"),
            JUPYTER_RUNTIME_DIR=str(self.tmp / "runtime"),
            JEPA_OFFLINE="1",
            TQDM_DISABLE="1",
        )
        env[MARKER] = self.marker
        return env

    def start(self, timeout: float = 90.0) -> "LabServer":
        """Copy the notebooks, start JupyterLab, wait until it answers."""
        shutil.copytree(
            self.source,
            self.root,
            ignore=shutil.ignore_patterns(".ipynb_checkpoints"),
        )
        settings = self.tmp / "lab-settings"
        self._write_settings(settings)
        (self.tmp / "workspaces").mkdir()
        command = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            "--port-retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            "--ServerApp.terminals_enabled=False",
            f"--LabApp.user_settings_dir={settings}",
            f"--LabApp.workspaces_dir={self.tmp / 'workspaces'}",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class="
            "jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",
        ]
        if os.geteuid() == 0:
            command.append("--allow-root")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                command,
                cwd=self.tmp,
                env=self._environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"JupyterLab exited with status {self.proc.returncode}"
                    f"; its log: {self.log_path}"
                )
            try:
                self.api("GET", "/api/status")
                return self
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.25)
        raise TimeoutError(
            f"JupyterLab did not answer within {timeout:.0f} s; "
            f"its log: {self.log_path}"
        )

    # ------------------------------------------------------------ api

    def api(self, method: str, path: str, timeout: float = 10.0):
        """Call the server's REST API; return the decoded JSON or None."""
        request = urllib.request.Request(
            self.url + path,
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            body = reply.read()
        return json.loads(body) if body else None

    def lab_url(self, notebook: str) -> str:
        """The JupyterLab address that opens ``notebook`` (a file name)."""
        return f"{self.url}/lab/tree/{notebook}?reset&token={self.token}"

    def session(self, notebook: str) -> dict | None:
        """The server's session of ``notebook``, or None."""
        for s in self.api("GET", "/api/sessions"):
            if s["path"] == notebook:
                return s
        return None

    def kernel_state(self, notebook: str) -> str | None:
        """``idle``/``busy``/``starting``... of the notebook's kernel."""
        s = self.session(notebook)
        return s["kernel"]["execution_state"] if s else None

    def close_session(self, notebook: str) -> None:
        """Shut the notebook's kernel down (frees its memory)."""
        s = self.session(notebook)
        if s is not None:
            self.api("DELETE", f"/api/sessions/{s['id']}")

    # ----------------------------------------------------------- stop

    def stop(self) -> list[int]:
        """Stop the server and every marked process; return survivors.

        Asks the server to shut down (it stops its kernels), waits, then
        ends what is left. The temporary folder goes too.
        """
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.api("POST", "/api/shutdown", timeout=5)
                self.proc.wait(timeout=20)
            except (OSError, subprocess.TimeoutExpired):
                pass
            if self.proc.poll() is None:
                try:
                    os.killpg(self.proc.pid, signal.SIGTERM)
                    self.proc.wait(timeout=10)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    pass
        survivors = end_marked(self.marker)
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)
        return survivors
