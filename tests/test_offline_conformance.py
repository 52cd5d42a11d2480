"""Every body the offline server sends conforms to OpenAI's OpenAPI spec.

Raw HTTP on loopback; bodies validated with ``tests/openapi_schemas``.
"""

from __future__ import annotations

import base64
import http.client
import json
from typing import Any

import numpy as np
import pytest

from jepa_helpers.offline import OfflineServer
from openapi_schemas import validate

SCORE = {
    "type": "function",
    "name": "evaluate_joint_embedding_energy",
    "description": "Energy of a context/candidate pair.",
    "strict": True,
    "parameters": {
        "type": "object",
        "properties": {
            "context": {"type": "string"},
            "candidate": {"type": "string"},
            "verbose": {"type": "boolean"},
            "energy": {
                "type": ["string", "null"],
                "enum": ["joint", "pairwise", "softmax", None],
            },
            "temperature": {"type": ["number", "null"]},
            "top_k": {"type": ["integer", "null"]},
        },
        "required": [
            "context",
            "candidate",
            "verbose",
            "energy",
            "temperature",
            "top_k",
        ],
        "additionalProperties": False,
    },
}
PROMPT = (
    "Context: A child is playing with a red ball in the park.\n"
    "Candidate: The kid happily throws the bright red ball across the "
    "playground.\nEnergy: softmax"
)


@pytest.fixture(scope="module")
def srv():
    with OfflineServer() as s:
        yield s


def call(
    srv: OfflineServer,
    method: str,
    path: str,
    body: Any = None,
    raw: bytes | None = None,
) -> tuple[int, bytes, str]:
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    try:
        data = (
            raw
            if raw is not None
            else (json.dumps(body).encode() if body is not None else None)
        )
        headers = {"Content-Type": "application/json"}
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read(), resp.getheader("Content-Type", "")
    finally:
        conn.close()


def sse_events(payload: bytes) -> list[dict]:
    out = []
    for block in payload.decode().split("\n\n"):
        lines = block.strip().splitlines()
        if not lines:
            continue
        assert lines[0].startswith("event: ")
        event = json.loads(lines[1][len("data: ") :])
        assert event["type"] == lines[0][len("event: ") :]
        out.append(event)
    return out


def test_plain_response_with_function_call_conforms(srv):
    body = {
        "model": "gpt-5.1",
        "input": PROMPT,
        "tools": [SCORE],
        "reasoning": {"summary": "auto"},
    }
    status, data, _ = call(srv, "POST", "/v1/responses", body)
    assert status == 200
    resp = json.loads(data)
    validate("Response", resp)
    kinds = [o["type"] for o in resp["output"]]
    assert kinds == ["reasoning", "function_call"]
    args = json.loads(resp["output"][1]["arguments"])
    assert args["energy"] == "softmax" and args["top_k"] is None


def test_explanation_response_conforms(srv):
    first = json.loads(
        call(
            srv,
            "POST",
            "/v1/responses",
            {"model": "m", "input": PROMPT, "tools": [SCORE]},
        )[1]
    )
    fc = first["output"][1]
    out = {
        "type": "function_call_output",
        "call_id": fc["call_id"],
        "output": json.dumps(
            {
                "energy": -0.4228740632534027,
                "energy_definition": "E = -sum w phi",
            }
        ),
    }
    status, data, _ = call(
        srv,
        "POST",
        "/v1/responses",
        {
            "model": "m",
            "previous_response_id": first["id"],
            "input": [out],
            "tools": [SCORE],
        },
    )
    assert status == 200
    resp = json.loads(data)
    validate("Response", resp)
    text = resp["output"][-1]["content"][0]["text"]
    assert "E = -0.4229" in text and "not a language model" in text


@pytest.mark.parametrize("with_tools", [True, False])
def test_every_stream_event_conforms(srv, with_tools):
    body = {
        "model": "m",
        "input": PROMPT,
        "stream": True,
        "reasoning": {"summary": "detailed"},
    }
    if with_tools:
        body["tools"] = [SCORE]
    status, data, ctype = call(srv, "POST", "/v1/responses", body)
    assert status == 200 and ctype.startswith("text/event-stream")
    evs = sse_events(data)
    for ev in evs:
        validate("ResponseStreamEvent", ev)
    assert [e["sequence_number"] for e in evs] == list(range(len(evs)))
    types = [e["type"] for e in evs]
    assert types[:2] == ["response.created", "response.in_progress"]
    assert types[-1] == "response.completed"
    assert "response.reasoning_summary_text.delta" in types
    if with_tools:
        assert "response.function_call_arguments.done" in types
    else:
        assert "response.output_text.done" in types
        assert "response.content_part.done" in types
    final = evs[-1]["response"]
    validate("Response", final)
    # deltas rebuild the final text / arguments exactly
    for item in final["output"]:
        if item["type"] == "function_call":
            joined = "".join(
                e["delta"]
                for e in evs
                if e["type"] == "response.function_call_arguments.delta"
            )
            assert joined == item["arguments"]
        if item["type"] == "message":
            joined = "".join(
                e["delta"]
                for e in evs
                if e["type"] == "response.output_text.delta"
            )
            assert joined == item["content"][0]["text"]


def test_models_conform(srv):
    status, data, _ = call(srv, "GET", "/v1/models")
    assert status == 200
    body = json.loads(data)
    validate("ListModelsResponse", body)
    ids = [m["id"] for m in body["data"]]
    assert "offline-scripted-narrator" in ids
    status, data, _ = call(srv, "GET", "/v1/models/offline-scripted-narrator")
    assert status == 200
    validate("Model", json.loads(data))


def _encoder_ok() -> bool:
    try:
        from jepa_helpers.encoders import MiniLMEncoder  # noqa: F401
    except (ImportError, AttributeError):
        return False
    return True


@pytest.mark.skipif(not _encoder_ok(), reason="MiniLM encoder not built")
@pytest.mark.parametrize("fmt", ["float", "base64"])
def test_embeddings_conform(srv, fmt):
    body = {
        "model": "text-embedding-3-small",
        "input": ["a red ball", "x"],
        "encoding_format": fmt,
        "dimensions": 64,
    }
    status, data, _ = call(srv, "POST", "/v1/embeddings", body)
    assert status == 200
    resp = json.loads(data)
    emb = resp["data"][0]["embedding"]
    if fmt == "base64":
        # Spec quirk: Embedding.embedding is typed "array of number" only,
        # though the API answers a base64 string for encoding_format
        # "base64"; validate the decoded floats in its place.
        assert all(isinstance(d["embedding"], str) for d in resp["data"])
        for d in resp["data"]:
            d["embedding"] = np.frombuffer(
                base64.b64decode(d["embedding"]), dtype="<f4"
            ).tolist()
    validate("CreateEmbeddingResponse", resp)
    assert resp["model"].startswith("minilm")
    if fmt == "base64":
        vec = np.frombuffer(base64.b64decode(emb), dtype="<f4")
    else:
        vec = np.asarray(emb, dtype=np.float32)
    assert vec.shape == (64,)
    assert abs(float(np.linalg.norm(vec)) - 1.0) < 1e-5


ERRORS = [
    # (method, path, body or raw bytes, status, code)
    ("POST", "/v1/responses", b"{not json", 400, None),
    ("POST", "/v1/responses", b'{"model": "m", "input": "hi"', 400, None),
    ("POST", "/v1/responses", b"\xff\xfe garbage", 400, None),
    ("POST", "/v1/responses", [1, 2], 400, "invalid_type"),
    (
        "POST",
        "/v1/responses",
        {"input": "hi"},
        400,
        "missing_required_parameter",
    ),
    (
        "POST",
        "/v1/responses",
        {"model": 3, "input": "hi"},
        400,
        "invalid_type",
    ),
    (
        "POST",
        "/v1/responses",
        {"model": "m", "input": {"a": 1}},
        400,
        "invalid_type",
    ),
    (
        "POST",
        "/v1/responses",
        {"model": "m", "input": "x", "bogus": 1},
        400,
        "unknown_parameter",
    ),
    (
        "POST",
        "/v1/responses",
        {"model": "m", "input": "x", "tool_choice": "sometimes"},
        400,
        "invalid_value",
    ),
    (
        "POST",
        "/v1/responses",
        {"model": "m", "input": "x", "previous_response_id": "resp_00"},
        400,
        "previous_response_not_found",
    ),
    (
        "POST",
        "/v1/responses",
        {
            "model": "m",
            "input": "x",
            "tools": [
                {
                    "type": "function",
                    "name": "f",
                    "strict": True,
                    "parameters": {
                        "type": "object",
                        "properties": {"a": {"type": "string"}},
                        "required": ["a"],
                    },
                }
            ],
        },
        400,
        "invalid_function_parameters",
    ),
    (
        "POST",
        "/v1/embeddings",
        {"model": "m", "input": [[1, 2, 3]]},
        400,
        "invalid_value",
    ),
    ("POST", "/v1/nope", {"a": 1}, 404, None),
    ("GET", "/v1/models/gpt-9", None, 404, "model_not_found"),
    ("GET", "/v1/responses/resp_missing", None, 404, None),
    ("GET", "/v1/responses", None, 405, None),
    ("GET", "/v1/embeddings", None, 405, None),
    ("PUT", "/v1/models", None, 405, None),
]


@pytest.mark.parametrize("method,path,body,status,code", ERRORS)
def test_errors_conform(srv, method, path, body, status, code):
    raw = body if isinstance(body, bytes) else None
    got, data, ctype = call(srv, method, path, None if raw else body, raw)
    assert got == status
    assert ctype == "application/json"
    err = json.loads(data)
    validate("ErrorResponse", err)
    assert err["error"]["code"] == code
    assert err["error"]["message"]


def test_body_over_limit_is_413(srv):
    from jepa_helpers.offline.server import MAX_BODY

    big = b'{"model": "m", "input": "' + b"a" * (MAX_BODY + 10) + b'"}'
    status, data, _ = call(srv, "POST", "/v1/responses", raw=big)
    assert status == 413
    validate("ErrorResponse", json.loads(data))


def test_exact_wording_of_real_api_errors(srv):
    _, data, _ = call(srv, "POST", "/v1/responses", raw=b"{")
    msg = json.loads(data)["error"]["message"]
    assert msg.startswith("We could not parse the JSON body of your request.")
    _, data, _ = call(srv, "POST", "/v1/nope", {})
    assert (
        json.loads(data)["error"]["message"] == "Invalid URL (POST /v1/nope)"
    )
    _, data, _ = call(srv, "GET", "/v1/embeddings")
    assert json.loads(data)["error"]["message"] == (
        "Invalid method for URL (GET /v1/embeddings)"
    )
