"""Load and faults on loopback: 8 clients x 250 mixed requests, garbage
bodies, truncated JSON, huge strings, a client leaving mid-stream; then
a clean stop that leaves no thread and no port behind."""

from __future__ import annotations

import importlib.util
import json
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from jepa_helpers.offline import OfflineServer, embeddings

BENCH = Path(__file__).resolve().parents[1] / "bench"
_spec = importlib.util.spec_from_file_location(
    "bench_offline_server", BENCH / "bench_offline_server.py"
)
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


class FakeEncoder:
    """Fast deterministic vectors: the load test measures the server."""

    name = "fake:hash-encoder"
    dim = 384

    def encode(self, texts: list[str]) -> np.ndarray:
        rows = []
        for t in texts:
            rng = np.random.default_rng(abs(hash(t)) % (2**32))
            v = rng.standard_normal(self.dim).astype(np.float32)
            rows.append(v / np.linalg.norm(v))
        return np.stack(rows)


@pytest.fixture()
def fake_encoder(monkeypatch):
    monkeypatch.setattr(embeddings, "_encoder", FakeEncoder())


def _raw(port: int, payload: bytes, read: bool = True) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(payload)
        if not read:
            return b""
        s.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


def _post(path: str, body: bytes, length: int | None = None) -> bytes:
    n = len(body) if length is None else length
    return (
        f"POST {path} HTTP/1.1\r\nHost: x\r\n"
        f"Content-Type: application/json\r\nContent-Length: {n}\r\n"
        "Connection: close\r\n\r\n"
    ).encode() + body


def test_eight_clients_250_mixed_requests(fake_encoder):
    with OfflineServer() as srv:
        res = bench.run(srv.port, clients=8, per_client=250)
    assert res["failures"] == []
    assert sum(len(v) for v in res["lat"].values()) == 2000
    assert res["wall"] < 60


FAULTS = [
    _post("/v1/responses", b"\x00\x01\x02garbage"),
    _post("/v1/responses", b'{"model": "m", "input": [{"role": "us'),
    _post("/v1/responses", b'{"model": "m", "input": 42}'),
    _post("/v1/responses", b'{"model": "m", "input": [1, 2]}'),
    _post("/v1/responses", b'{"model": "m", "input": "x", "tools": 5}'),
    _post("/v1/embeddings", b'{"model": "m", "input": [null]}'),
    _post("/v1/responses", b"[" * 100000),
    _post(
        "/v1/responses",
        json.dumps({"model": "m", "input": "y" * 3_000_000}).encode(),
    ),
    b"GARBAGE\r\n\r\n",
    b"POST /v1/responses HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
    b"POST /v1/responses HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
]


def test_faults_get_4xx_or_close_and_server_keeps_serving(fake_encoder):
    with OfflineServer() as srv:
        for payload in FAULTS:
            reply = _raw(srv.port, payload)
            if reply:
                status = int(reply.split(b" ", 2)[1])
                assert 200 <= status < 500, reply[:200]
        # truncated body: the client promises more than it sends, leaves
        _raw(
            srv.port,
            _post("/v1/responses", b'{"model"', length=500),
            read=False,
        )
        # a client that disconnects mid-stream
        body = json.dumps(
            {
                "model": "m",
                "stream": True,
                "input": ("Context: a\nCandidate: b\n" * 2000),
            }
        ).encode()
        with socket.create_connection(("127.0.0.1", srv.port)) as s:
            s.sendall(_post("/v1/responses", body))
            s.recv(100)
        cl = bench.Client(srv.port)
        for i in range(5):
            bench._one(cl, bench.KINDS[i], f"after faults {i}", True)
        cl.close()


def test_stop_leaves_no_thread_or_port():
    before = {t.ident for t in threading.enumerate()}
    srv = OfflineServer().start()
    port = srv.port
    cl = bench.Client(port)
    bench._one(cl, "respond", "keep-alive left open", False)
    srv.stop()  # the idle keep-alive connection must not block this
    cl.close()
    time.sleep(0.05)
    left = {t.ident for t in threading.enumerate()} - before
    assert left == set()
    with socket.socket() as s:  # nothing listens any more
        assert s.connect_ex(("127.0.0.1", port)) != 0
    with socket.socket() as s:  # and the port can be bound again
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))


def test_serve_prints_one_line_and_stops(monkeypatch, capsys):
    from jepa_helpers.offline import server

    def interrupt(_: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(server.time, "sleep", interrupt)
    server.serve()
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1
    assert out[0].startswith(
        "serving the offline narrator on " "http://127.0.0.1:"
    )
    assert out[0].endswith("/v1 (Ctrl-C stops)")
