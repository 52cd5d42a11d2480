"""A tiny OpenAI-shaped ``POST /v1/embeddings`` server that counts requests.

Used by the encoder tests and ``bench/bench_encoders.py``: a real
``http.server`` on 127.0.0.1 with an ephemeral port, so the official SDK
runs end to end. Vectors are deterministic per text (seeded by its
sha256) and deliberately NOT unit length, so the client must normalise;
``dimensions`` returns the first coordinates (the client renormalises).
Set ``server.fail_with = 401 | 429 | 500`` to answer with an OpenAI-style
error, or ``server.delay`` (seconds) to make it slow.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

FULL_DIM = 1536


def fake_vector(text: str, dim: int = FULL_DIM) -> np.ndarray:
    """Deterministic ``float32 [dim]`` with norm about ``3 * sqrt(dim)``."""
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
    rng = np.random.default_rng(seed)
    return (3 * rng.standard_normal(FULL_DIM)).astype(np.float32)[:dim]


class _Handler(BaseHTTPRequestHandler):
    server: CountingEmbeddingsServer

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    def _send(self, status: int, payload: dict) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        srv = self.server
        with srv.lock:
            srv.requests.append(body)
        if srv.delay:
            time.sleep(srv.delay)
        if not self.path.rstrip("/").endswith("/embeddings"):
            self._send(404, _error("not found", "invalid_request_error"))
            return
        if srv.fail_with:
            auth = self.headers.get("Authorization", "")
            key = auth.removeprefix("Bearer ")
            messages = {
                401: f"Incorrect API key provided: {key}.",
                429: "Rate limit reached for text-embedding-3-small.",
                500: "The server had an error processing your request.",
            }
            msg = messages.get(srv.fail_with, "error")
            self._send(srv.fail_with, _error(msg, "test_error"))
            return
        inputs = body["input"]
        inputs = [inputs] if isinstance(inputs, str) else inputs
        if any(t == "" for t in inputs):
            self._send(400, _error("input cannot be empty", "invalid"))
            return
        dim = body.get("dimensions") or FULL_DIM
        fmt = body.get("encoding_format", "float")
        data = []
        for i, text in enumerate(inputs):
            v = fake_vector(text, dim)
            emb = (
                base64.b64encode(v.astype("<f4").tobytes()).decode()
                if fmt == "base64"
                else [float(x) for x in v]
            )
            data.append({"object": "embedding", "index": i, "embedding": emb})
        data.reverse()  # clients must order by ``index``
        self._send(
            200,
            {
                "object": "list",
                "data": data,
                "model": body.get("model", ""),
                "usage": {"prompt_tokens": 0, "total_tokens": 0},
            },
        )


def _error(message: str, kind: str) -> dict:
    return {
        "error": {
            "message": message,
            "type": kind,
            "param": None,
            "code": None,
        }
    }


class CountingEmbeddingsServer(ThreadingHTTPServer):
    """``with CountingEmbeddingsServer() as srv: srv.base_url ...``."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.requests: list[dict] = []
        self.fail_with: int | None = None
        self.delay = 0.0
        self._thread = threading.Thread(
            target=self.serve_forever, args=(0.05,), daemon=True
        )

    def handle_error(self, request: object, client_address: object) -> None:
        """Stay quiet when a client gave up (timeout tests hang up)."""
        exc = sys.exc_info()[1]
        if not isinstance(exc, (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def __enter__(self) -> CountingEmbeddingsServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=5)
