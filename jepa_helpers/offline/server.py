"""The HTTP side: routing, body limits, JSON/SSE answers, start and stop.

``OfflineServer`` runs a stdlib ``ThreadingHTTPServer`` on 127.0.0.1 (an
ephemeral port by default) in a background thread; ``stop()`` closes the
listening socket, shuts down open keep-alive connections and joins every
thread, so nothing is left behind. ``serve()`` is the command line's
blocking variant; ``shared_server()`` a lazily started process-wide
instance (stopped at exit) for ``make_client()``.

Introduced in 06_gpt51_agent_loop.
"""

from __future__ import annotations

import atexit
import json
import signal
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from . import errors
from .embeddings import create_embeddings, encoder_info
from .narrator import MODEL_ID
from .responses import create_response
from .store import ResponseStore
from .streaming import events, sse

MAX_BODY = 4 * 1024 * 1024  # bytes; larger bodies get a 413
DRAIN_LIMIT = 8 * MAX_BODY  # beyond this a 413 just closes the socket
IDLE_TIMEOUT = 15.0  # seconds a keep-alive connection may sit idle
CREATED = 1764633600  # fixed "created" of the local models (2025-12-02)
ROUTES = {
    "/v1/responses": ("POST",),
    "/v1/embeddings": ("POST",),
    "/v1/models": ("GET",),
}


def list_models() -> list[dict[str, Any]]:
    """What the server really serves: the narrator, and the encoder."""
    models = [
        {
            "id": MODEL_ID,
            "object": "model",
            "created": CREATED,
            "owned_by": "jepa_helpers (scripted, not a language model)",
        }
    ]
    info = encoder_info()
    if info is not None:
        models.append(
            {
                "id": info[0],
                "object": "model",
                "created": CREATED,
                "owned_by": "jepa_helpers (local sentence encoder)",
            }
        )
    return models


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "jepa-offline-narrator/1"
    timeout = IDLE_TIMEOUT
    server: "_HTTPServer"

    # --- plumbing -----------------------------------------------------

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: notebooks and tests must not see access logs."""

    def setup(self) -> None:
        super().setup()
        # headers and body go out in two writes: without NODELAY, Nagle
        # plus the client's delayed ACK adds ~40 ms to every answer
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, add=False)

    def send_error(
        self, code: int, message: str | None = None, explain: Any = None
    ) -> None:
        """The stdlib's own errors (bad request line, header too long…)
        in OpenAI's JSON shape instead of an HTML page."""
        self.request_version = "HTTP/1.1"  # always send a status line
        err = errors.ApiError(
            code, f"Malformed HTTP request: {message or code}."
        )
        try:
            self._send_json(code, err.body(), close=True)
        except OSError:
            self.close_connection = True

    def _send_json(self, status: int, body: Any, close: bool = False) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("openai-model", MODEL_ID)
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)

    def _send_error(self, err: errors.ApiError, close: bool = False) -> None:
        self._send_json(err.status, err.body(), close=close)

    def _read_json(self) -> Any:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            raise errors.ApiError(
                411,
                "The offline server needs a Content-Length header; "
                "chunked request bodies are not supported.",
            )
        raw_len = self.headers.get("Content-Length")
        try:
            length = int(raw_len) if raw_len is not None else 0
        except ValueError:
            raise errors.ApiError(400, "Invalid Content-Length header.")
        if length < 0:
            raise errors.ApiError(400, "Invalid Content-Length header.")
        if length > MAX_BODY:
            self._drain(length)
            raise errors.too_large(length, MAX_BODY)
        data = self.rfile.read(length) if length else b""
        if len(data) < length:
            raise ConnectionError("client closed before sending the body")
        try:
            return json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise errors.invalid_json()

    def _drain(self, length: int) -> None:
        """Read and drop an oversized body (up to a bound) so the client
        can read the 413 instead of meeting a reset connection."""
        left = min(length, DRAIN_LIMIT)
        while left > 0:
            chunk = self.rfile.read(min(left, 1 << 16))
            if not chunk:
                break
            left -= len(chunk)

    def _route(self, method: str) -> None:
        path = self.path.split("?", 1)[0].rstrip("/") or "/"
        close = False
        try:
            if path in ROUTES:
                if method not in ROUTES[path]:
                    close = True  # an unread body may follow
                    raise errors.invalid_method(method, path)
                if path == "/v1/models":
                    self._send_json(
                        200, {"object": "list", "data": list_models()}
                    )
                    return
                try:
                    body = self._read_json()
                except errors.ApiError as err:
                    close = err.status in (411, 413)
                    raise
                if path == "/v1/embeddings":
                    self._send_json(200, create_embeddings(body))
                else:
                    self._responses(body)
                return
            if path.startswith("/v1/models/") and method == "GET":
                name = path[len("/v1/models/") :]
                for model in list_models():
                    if model["id"] == name:
                        self._send_json(200, model)
                        return
                raise errors.model_not_found(name)
            if path.startswith("/v1/responses/") and method in (
                "GET",
                "DELETE",
            ):
                rid = path[len("/v1/responses/") :]
                record = self.server.store.get(rid)
                if record is None:
                    raise errors.response_not_found(rid)
                if method == "GET":
                    self._send_json(200, record.response)
                else:
                    self.server.store.delete(rid)
                    self._send_json(
                        200,
                        {"id": rid, "object": "response", "deleted": True},
                    )
                return
            close = method in ("POST", "PUT", "PATCH")
            raise errors.invalid_url(method, path)
        except errors.ApiError as err:
            self._send_error(err, close=close)
        except (ConnectionError, TimeoutError, socket.timeout):
            self.close_connection = True
        except Exception as exc:  # a bug: answer 500, keep serving
            err = errors.ApiError(
                500,
                f"The offline server failed: {type(exc).__name__}: {exc}",
                type="server_error",
            )
            try:
                self._send_error(err, close=True)
            except OSError:
                self.close_connection = True

    def _responses(self, body: Any) -> None:
        req, response = create_response(body, self.server.store)
        if not req.stream:
            self._send_json(200, response)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.send_header("openai-model", MODEL_ID)
        self.end_headers()
        self.close_connection = True
        try:
            for event in events(response):
                self.wfile.write(sse(event))
                self.wfile.flush()
        except (ConnectionError, OSError):
            pass  # the client went away mid-stream: just close

    def do_GET(self) -> None:  # noqa: N802
        self._route("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._route("POST")

    def do_DELETE(self) -> None:  # noqa: N802
        self._route("DELETE")

    def do_PUT(self) -> None:  # noqa: N802
        self._route("PUT")

    def do_PATCH(self) -> None:  # noqa: N802
        self._route("PATCH")


class _HTTPServer(ThreadingHTTPServer):
    # Handler threads are daemons, so an idle keep-alive connection that a
    # script forgot to close never holds the interpreter at exit (non-daemon
    # threads are joined before atexit could stop the server); stop() still
    # closes every connection and joins every handler it tracks.
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, addr: tuple[str, int]) -> None:
        super().__init__(addr, _Handler)
        self.store = ResponseStore()
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        self._handlers: set[threading.Thread] = set()

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self._handle_then_forget,
            args=(request, client_address),
            daemon=True,
        )
        with self._conns_lock:
            self._handlers.add(thread)
        thread.start()

    def _handle_then_forget(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self._conns_lock:
                self._handlers.discard(threading.current_thread())

    def join_handlers(self, timeout: float) -> None:
        """Wait (up to ``timeout`` s each) for the running handlers."""
        with self._conns_lock:
            handlers = list(self._handlers)
        for thread in handlers:
            thread.join(timeout)

    def track(self, conn: socket.socket, add: bool) -> None:
        with self._conns_lock:
            (self._conns.add if add else self._conns.discard)(conn)

    def close_connections(self) -> None:
        """Shut down every open client connection (idle keep-alives)."""
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: a client that vanishes is not the server's error."""


def _serve_without_signals(httpd: _HTTPServer) -> None:
    """``serve_forever`` with Ctrl-C and friends blocked in this thread.

    The handler threads it starts inherit the mask, so the process's
    signals reach the main thread (where Python raises
    ``KeyboardInterrupt``), not a server thread.
    """
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(
            signal.SIG_BLOCK,
            {signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT},
        )
    httpd.serve_forever(poll_interval=0.1)


class OfflineServer:
    """The local OpenAI-compatible server, as a context manager.

    ``with OfflineServer() as srv: OpenAI(base_url=srv.base_url, ...)``.
    ``port=0`` picks a free port. Binds 127.0.0.1 only.

    Introduced in 06_gpt51_agent_loop.
    """

    def __init__(self, port: int = 0, host: str = "127.0.0.1") -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(
                f"the offline server binds loopback only, " f"not {host!r}"
            )
        self.host = "127.0.0.1" if host == "localhost" else host
        self.port = port
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        """True between ``start()`` and ``stop()``."""
        return self._httpd is not None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1`` (the SDK's ``base_url``)."""
        if self._httpd is None:
            raise RuntimeError("the offline server is not running")
        return f"http://{self.host}:{self.port}/v1"

    def start(self) -> "OfflineServer":
        """Bind and serve in a background thread; returns ``self``."""
        with self._lock:
            if self._httpd is not None:
                return self
            httpd = _HTTPServer((self.host, self.port))
            self.port = httpd.server_address[1]
            thread = threading.Thread(
                target=_serve_without_signals,
                args=(httpd,),
                name=f"offline-narrator:{self.port}",
                daemon=True,
            )
            thread.start()
            self._httpd, self._thread = httpd, thread
        return self

    def stop(self) -> None:
        """Stop serving, close every connection, join every thread."""
        with self._lock:
            httpd, thread = self._httpd, self._thread
            self._httpd = self._thread = None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.close_connections()
        httpd.server_close()
        httpd.join_handlers(timeout=10)
        if thread is not None:
            thread.join(timeout=10)

    def __enter__(self) -> "OfflineServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"port={self.port}" if self.running else "stopped"
        return f"OfflineServer({state})"


_shared: OfflineServer | None = None
_shared_lock = threading.Lock()


def shared_server() -> OfflineServer:
    """The process-wide server, started on first use, stopped at exit.

    Introduced in 06_gpt51_agent_loop.
    """
    global _shared
    with _shared_lock:
        if _shared is None or not _shared.running:
            _shared = OfflineServer().start()
            atexit.register(_shared.stop)
        return _shared


def serve(host: str = "127.0.0.1", port: int = 0) -> None:
    """Serve in the foreground until Ctrl-C (``python -m jepa_helpers
    serve``); prints one line with the base URL.

    Introduced in 06_gpt51_agent_loop.
    """
    srv = OfflineServer(port=port, host=host).start()
    print(
        f"serving the offline narrator on {srv.base_url} (Ctrl-C stops)",
        flush=True,
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        srv.stop()
