"""``python -m jepa_helpers demo``: the seed's runs, end to end, offline."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
import time

import pytest

from jepa_helpers import demo, scoring
from jepa_helpers.__main__ import SEED_CANDIDATE, SEED_CONTEXT
from jepa_helpers.offline.explain import fmt

ENV = {
    k: v
    for k, v in os.environ.items()
    if k not in ("OPENAI_API_KEY", "JEPA_GLOVE_PATH")
}
ENV |= {"JEPA_OFFLINE": "1", "TQDM_DISABLE": "1"}
CMD = [sys.executable, "-m", "jepa_helpers", "demo"]
LEAKS = re.compile(r"/home/|/work/|/tmp/|/Users/|127\.0\.0\.1|http|sk-")


def run(*args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        CMD + list(args),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env or ENV,
        timeout=120,
    )


def json_blocks(text: str, label: str) -> list[dict]:
    """The JSON printed after each ``[DEBUG] <label>`` line."""
    out = []
    for part in text.split(f"[DEBUG] {label}\n")[1:]:
        out.append(json.JSONDecoder().raw_decode(part)[0])
    return out


def score(energy: str, context: str, candidate: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "jepa_helpers", "score", "--verbose"]
        + ["--energy", energy, "--context", context]
        + ["--candidate", candidate],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
        check=True,
    )
    return json.loads(out.stdout)


def test_seed_defaults_agree_with_the_cli():
    assert (demo.SEED_CONTEXT, demo.SEED_CANDIDATE) == (
        SEED_CONTEXT,
        SEED_CANDIDATE,
    )


def test_three_seed_programs_without_a_terminal():
    p = run()
    assert p.returncode == 0, p.stderr
    out = p.stdout
    assert out.startswith("mode: offline (local server)\n")
    scripts = re.findall(r"^\$ python (\S+)$", out, re.M)
    assert scripts == ["main.py", "pairwise.py", "main2.py"]
    assert "['" not in out  # no prompt without a terminal
    calls = json_blocks(
        out,
        "Model requested tool `evaluate_joint_embedding_energy` with args:",
    )
    assert [c["energy"] for c in calls] == ["joint", "pairwise", "softmax"]
    assert all(c["context"] == SEED_CONTEXT for c in calls)
    assert out.count("[INFO] Loading GloVe embeddings from: glove.6B.50d") == 1
    results = json_blocks(out, "Raw tool result:")
    results[1:1] = json_blocks(out, "Tool Output (Pairwise Contributors):")
    for energy, result in zip(["joint", "pairwise", "softmax"], results):
        want = score(energy, SEED_CONTEXT, SEED_CANDIDATE)
        assert result == want
        assert f"E = {fmt(want['energy'])}" in out
    head = "=" * 16 + " JEPA + EBM MODEL EXPLANATION " + "=" * 16
    assert out.count(head + "\n") == 2
    assert out.count("\n" + "=" * len(head) + "\n") == 2
    assert "PAIRWISE ENERGY EXPLANATION" in out
    assert not LEAKS.search(out + p.stderr)


def test_one_energy_with_given_texts():
    """The seed's pairwise run scored "#"; here it is asked for."""
    p = run("--energy", "pairwise", "--context", "#")
    assert p.returncode == 0, p.stderr
    [result] = json_blocks(p.stdout, "Tool Output (Pairwise Contributors):")
    assert result == score("pairwise", "#", SEED_CANDIDATE)
    assert result["energy"] == 1.0 and result["top_contributors"] == []
    assert p.stdout.count("$ python ") == 1


@pytest.mark.parametrize("energy", list(scoring.ENERGIES))
def test_every_registered_energy_runs(energy):
    p = run("--energy", energy, "--candidate", "A kid throws a ball.")
    assert p.returncode == 0, p.stderr
    assert f'"energy": "{energy}"' in p.stdout


def test_bad_option_is_one_line():
    p = run("--mode", "online", env=dict(ENV, JEPA_OFFLINE="0"))
    assert p.returncode == 2
    assert p.stderr.count("\n") == 1 and "OPENAI_API_KEY" in p.stderr
    assert "Traceback" not in p.stderr


# --------------------------------------------------- with a terminal


def spawn(*args: str):
    pid, fd = pty.fork()
    if pid == 0:  # child
        os.execve(sys.executable, CMD + list(args), ENV)
    return pid, fd


def read_until(fd: int, pattern: str, timeout: float = 60) -> str:
    buf = ""
    end = time.monotonic() + timeout
    while pattern not in buf:
        left = end - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no {pattern!r} in {buf[-500:]!r}")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk.decode("utf-8", "replace")
    return buf


def finish(pid: int, fd: int) -> tuple[int, str]:
    out = ""
    while True:
        try:
            ready, _, _ = select.select([fd], [], [], 60)
            chunk = os.read(fd, 4096) if ready else b""
        except OSError:
            chunk = b""
        if not chunk:
            break
        out += chunk.decode("utf-8", "replace")
    end = time.monotonic() + 60
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > end:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            os.close(fd)
            raise AssertionError(f"the demo did not exit: {out[-500:]!r}")
        time.sleep(0.05)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out


def test_prompt_enter_takes_the_default():
    pid, fd = spawn("--energy", "pairwise")
    seen = read_until(fd, f"Context   [{SEED_CONTEXT!r}]: ")
    assert "Press Enter for defaults" in seen
    os.write(fd, b"\r")
    read_until(fd, f"Candidate [{SEED_CANDIDATE!r}]: ")
    os.write(fd, b"A kid throws a ball.\r")
    code, out = finish(pid, fd)
    assert code == 0, out
    [args] = json_blocks(
        out.replace("\r\n", "\n"),
        "Model requested tool `evaluate_joint_embedding_energy` with args:",
    )
    assert args["context"] == SEED_CONTEXT  # not "#"
    assert args["candidate"] == "A kid throws a ball."


def test_ctrl_d_ends_cleanly():
    pid, fd = spawn()
    read_until(fd, "Context   [")
    os.write(fd, b"\x04")
    code, out = finish(pid, fd)
    assert code == 0
    assert "standard input closed" in out and "Traceback" not in out


def test_ctrl_c_ends_cleanly():
    pid, fd = spawn()
    read_until(fd, "Context   [")
    os.write(fd, b"\x03")
    code, out = finish(pid, fd)
    assert code == 130
    assert "Traceback" not in out
