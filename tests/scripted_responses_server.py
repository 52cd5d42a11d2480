"""A tiny scripted ``POST /v1/responses`` endpoint for agent-loop tests.

A real HTTP server on 127.0.0.1 (the SDK's own transport is exercised),
whose replies come from a script: ``reply(body, n) -> dict`` gets the
JSON request body and its 0-based number and returns the Response JSON
to send. Every request body is kept in ``requests`` for the test to
inspect. Used where the offline narrator is too well-behaved: a model
that never stops calling tools, a call to an unknown tool, arguments that
break the schema, and replaying recorded API responses.
"""

from __future__ import annotations

import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

Reply = Callable[[dict, int], dict]


def response(output: list[dict], **extra: Any) -> dict:
    """A minimal completed Response dict with ``output`` items."""
    body = {
        "id": f"resp_{secrets.token_hex(8)}",
        "object": "response",
        "created_at": 1764633600,
        "status": "completed",
        "model": "scripted-test-model",
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": {
            "input_tokens": 10,
            "output_tokens": 5,
            "total_tokens": 15,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens_details": {"reasoning_tokens": 0},
        },
    }
    body.update(extra)
    return body


def reasoning() -> dict:
    return {
        "id": f"rs_{secrets.token_hex(8)}",
        "type": "reasoning",
        "summary": [],
    }


def function_call(name: str, arguments: str) -> dict:
    return {
        "id": f"fc_{secrets.token_hex(8)}",
        "type": "function_call",
        "status": "completed",
        "name": name,
        "arguments": arguments,
        "call_id": f"call_{secrets.token_hex(8)}",
    }


def message(text: str) -> dict:
    return {
        "id": f"msg_{secrets.token_hex(8)}",
        "type": "message",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }


class ScriptedServer:
    """``with ScriptedServer(reply) as srv: OpenAI(base_url=srv.base_url)``."""

    def __init__(self, reply: Reply | list[dict]) -> None:
        if isinstance(reply, list):
            replies = list(reply)
            reply = lambda body, n: replies[n]  # noqa: E731
        self.reply = reply
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with owner._lock:
                    n = len(owner.requests)
                    owner.requests.append(body)
                data = json.dumps(owner.reply(body, n)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(data)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def __enter__(self) -> "ScriptedServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
