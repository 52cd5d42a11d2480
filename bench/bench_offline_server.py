"""Load on the offline server: N clients x M mixed requests, loopback.

Each client thread keeps one HTTP/1.1 connection (reopened after a
stream, which closes) and sends a deterministic mix: plain responses
with a tool call, follow-ups by previous_response_id, streamed
responses, embeddings and model lists. Every reply is checked against
its request (the context it names, the count of vectors). Prints
requests/s and p50/p99 latency per kind and overall.

Run: ``python bench/bench_offline_server.py [--clients 8] [--requests 250]``

Introduced in 06_gpt51_agent_loop.
"""

from __future__ import annotations

import argparse
import http.client
import json
import threading
import time
from collections import defaultdict

SCORE = {
    "type": "function",
    "name": "evaluate_joint_embedding_energy",
    "strict": True,
    "parameters": {
        "type": "object",
        "properties": {
            "context": {"type": "string"},
            "candidate": {"type": "string"},
            "energy": {
                "type": ["string", "null"],
                "enum": ["joint", "softmax", None],
            },
        },
        "required": ["context", "candidate", "energy"],
        "additionalProperties": False,
    },
}
KINDS = ("respond", "follow_up", "stream", "embed", "models")


class Client:
    """One keep-alive connection; ``post``/``get`` return (status, body)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: object = None):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=10
            )
        data = json.dumps(body).encode() if body is not None else None
        self.conn.request(
            method,
            path,
            body=data,
            headers={"Content-Type": "application/json"},
        )
        resp = self.conn.getresponse()
        payload = resp.read()
        if resp.getheader("Connection", "").lower() == "close":
            self.close()
        return resp.status, payload

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def _one(cl: Client, kind: str, tag: str, embed: bool) -> None:
    """Send one request of ``kind``; raise AssertionError on a mismatch."""
    prompt = f"Context: {tag}\nCandidate: reply for {tag}\nEnergy: joint"
    if kind in ("respond", "follow_up"):
        st, data = cl.request(
            "POST",
            "/v1/responses",
            {"model": "m", "input": prompt, "tools": [SCORE]},
        )
        assert st == 200, (st, data[:200])
        r = json.loads(data)
        call = r["output"][1]
        assert json.loads(call["arguments"])["context"] == tag
        if kind == "follow_up":
            out = json.dumps({"energy": len(tag) / 100.0})
            st, data = cl.request(
                "POST",
                "/v1/responses",
                {
                    "model": "m",
                    "previous_response_id": r["id"],
                    "tools": [SCORE],
                    "input": [
                        {
                            "type": "function_call_output",
                            "call_id": call["call_id"],
                            "output": out,
                        }
                    ],
                },
            )
            assert st == 200, (st, data[:200])
            text = json.loads(data)["output"][-1]["content"][0]["text"]
            assert f"E = {len(tag) / 100.0:.4f}" in text
    elif kind == "stream":
        st, data = cl.request(
            "POST",
            "/v1/responses",
            {"model": "m", "input": prompt, "tools": [SCORE], "stream": True},
        )
        assert st == 200
        last = data.decode().strip().split("\n\n")[-1]
        final = json.loads(last.split("data: ", 1)[1])
        assert final["type"] == "response.completed"
        args = json.loads(final["response"]["output"][1]["arguments"])
        assert args["context"] == tag
    elif kind == "embed" and embed:
        n = 1 + len(tag) % 3
        st, data = cl.request(
            "POST",
            "/v1/embeddings",
            {
                "model": "m",
                "input": [f"{tag} {k}" for k in range(n)],
                "encoding_format": "base64",
                "dimensions": 64,
            },
        )
        assert st == 200, (st, data[:200])
        assert len(json.loads(data)["data"]) == n
    else:
        st, data = cl.request("GET", "/v1/models")
        assert st == 200 and json.loads(data)["object"] == "list"


def run(
    port: int, clients: int = 8, per_client: int = 250, embed: bool = True
) -> dict:
    """Drive the server; return counts, errors and latencies by kind."""
    lat: dict[str, list[float]] = defaultdict(list)
    failures: list[str] = []
    lock = threading.Lock()

    def worker(c: int) -> None:
        cl = Client(port)
        try:
            for i in range(per_client):
                kind = KINDS[(c + i) % len(KINDS)]
                t0 = time.perf_counter()
                try:
                    _one(cl, kind, f"client {c} request {i}", embed)
                except Exception as exc:  # record, keep going
                    cl.close()
                    with lock:
                        failures.append(f"{kind}: {exc!r}"[:300])
                dt = time.perf_counter() - t0
                with lock:
                    lat[kind].append(dt)
        finally:
            cl.close()

    threads = [
        threading.Thread(target=worker, args=(c,)) for c in range(clients)
    ]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    wall = time.perf_counter() - t0
    return {
        "wall": wall,
        "lat": dict(lat),
        "failures": failures,
        "requests": clients * per_client,
    }


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000.0


def main() -> None:
    """Start a server, run the load, print the figures."""
    from jepa_helpers.offline import OfflineServer

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--requests", type=int, default=250)
    ap.add_argument("--no-embed", action="store_true")
    a = ap.parse_args()
    with OfflineServer() as srv:
        if not a.no_embed:  # warm the encoder outside the timing
            Client(srv.port).request(
                "POST", "/v1/embeddings", {"model": "m", "input": "warm"}
            )
        res = run(srv.port, a.clients, a.requests, not a.no_embed)
    all_lat = [x for xs in res["lat"].values() for x in xs]
    print(
        f"{a.clients} clients x {a.requests} requests = "
        f"{res['requests']} in {res['wall']:.2f} s: "
        f"{res['requests'] / res['wall']:.0f} requests/s, "
        f"p50 {_pct(all_lat, .5):.1f} ms, p99 {_pct(all_lat, .99):.1f} ms,"
        f" failures {len(res['failures'])}"
    )
    for kind in KINDS:
        xs = res["lat"].get(kind, [])
        if xs:
            print(
                f"  {kind:<10} n={len(xs):4d}  p50 {_pct(xs, .5):6.1f} ms"
                f"  p99 {_pct(xs, .99):6.1f} ms"
            )
    for f in res["failures"][:5]:
        print("  failure:", f)


if __name__ == "__main__":
    main()
