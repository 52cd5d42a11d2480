"""The Responses API: build Response objects from the narrator's plan.

``create_response(body, store)`` validates the body, assembles the
conversation (``previous_response_id`` from the store, else the input
alone), enforces the real API's pairing rules (reasoning before its
function call, an output for every call), asks the narrator for a plan
and returns the ``Response`` dict (the OpenAPI ``Response`` schema).

Introduced in 06_gpt51_agent_loop.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from typing import Any

from . import errors
from .narrator import MODEL_ID, Plan, plan
from .request import ResponseRequest, normalise_item, parse_request
from .store import Record, ResponseStore

_TOKEN = re.compile(r"\w+|[^\w\s]")
ENCRYPTED_INCLUDE = "reasoning.encrypted_content"


def new_id(prefix: str) -> str:
    """A random id like the real API's: ``resp_`` + 48 hex digits."""
    return f"{prefix}_{secrets.token_hex(24)}"


def count_tokens(text: str) -> int:
    """A deterministic token count: words and punctuation marks."""
    return len(_TOKEN.findall(text))


def _item_text(item: dict) -> str:
    kind = item.get("type")
    if kind == "message":
        return str(item.get("text", ""))
    if kind == "function_call":
        return f"{item.get('name')} {item.get('arguments')}"
    if kind == "function_call_output":
        out = item.get("output")
        return out if isinstance(out, str) else json.dumps(out)
    return ""


def check_pairing(
    context: list[dict], new: list[dict], store: ResponseStore
) -> None:
    """Enforce the real API's rules on function calls and reasoning.

    Raise ``ApiError`` when a reasoning item is unknown and carries no
    encrypted content, when a reasoning item ends the input, when one of
    our function calls comes without its reasoning item, when a call has
    no output, or when an output names no call.

    Introduced in 06_gpt51_agent_loop.
    """
    full = context + new
    for i, item in enumerate(new):
        if item["type"] != "reasoning":
            continue
        if item.get("encrypted_content") is None and not store.has_item(
            item["id"]
        ):
            raise errors.item_not_persisted(item["id"])
        if i == len(new) - 1:
            raise errors.reasoning_without_follower(item["id"])
    seen_rs = {i.get("id") for i in full if i["type"] == "reasoning"}
    for item in new:
        if item["type"] != "function_call" or "id" not in item:
            continue
        rs = store.reasoning_of(item["id"])
        if rs is not None and rs not in seen_rs:
            raise errors.missing_reasoning(item["id"], rs)
    calls = [i["call_id"] for i in full if i["type"] == "function_call"]
    outputs = {
        i["call_id"] for i in full if i["type"] == "function_call_output"
    }
    for call_id in calls:
        if call_id not in outputs:
            raise errors.no_tool_output(call_id)
    for call_id in outputs:
        if call_id not in calls:
            raise errors.no_tool_call(call_id)


def _output_items(req: ResponseRequest, p: Plan) -> list[dict]:
    rs_id = new_id("rs")
    summary = (
        [{"type": "summary_text", "text": p.reasoning}]
        if req.wants_summary
        else []
    )
    reasoning: dict[str, Any] = {
        "id": rs_id,
        "type": "reasoning",
        "summary": summary,
    }
    if ENCRYPTED_INCLUDE in req.include:
        blob = json.dumps({"offline_narrator_plan": p.reasoning})
        reasoning["encrypted_content"] = base64.b64encode(
            blob.encode("utf-8")
        ).decode("ascii")
    items = [reasoning]
    for call in p.calls:
        items.append(
            {
                "id": new_id("fc"),
                "type": "function_call",
                "status": "completed",
                "arguments": call.arguments,
                "call_id": new_id("call"),
                "name": call.name,
            }
        )
    if p.message is not None:
        items.append(
            {
                "id": new_id("msg"),
                "type": "message",
                "status": "completed",
                "role": "assistant",
                "content": [
                    {
                        "type": "output_text",
                        "text": p.message,
                        "annotations": [],
                        "logprobs": [],
                    }
                ],
            }
        )
    return items


def _reasoning_echo(req: ResponseRequest) -> dict:
    r = req.reasoning or {}
    return {"effort": r.get("effort"), "summary": r.get("summary")}


def _text_echo(req: ResponseRequest) -> dict:
    text = dict(req.text or {})
    text.setdefault("format", {"type": "text"})
    text.setdefault("verbosity", "medium")
    return text


def build_response(
    req: ResponseRequest, context: list[dict], p: Plan
) -> dict[str, Any]:
    """The ``Response`` body for a plan (status completed).

    Introduced in 06_gpt51_agent_loop.
    """
    output = _output_items(req, p)
    now = int(time.time())
    in_tokens = sum(count_tokens(_item_text(i)) for i in context)
    in_tokens += count_tokens(req.instructions or "")
    reasoning_tokens = count_tokens(p.reasoning)
    out_tokens = reasoning_tokens + sum(
        count_tokens(c.arguments) for c in p.calls
    )
    out_tokens += count_tokens(p.message or "")
    return {
        "id": new_id("resp"),
        "object": "response",
        "created_at": now,
        "status": "completed",
        "completed_at": now,
        "background": False,
        "error": None,
        "incomplete_details": None,
        "instructions": req.instructions,
        "max_output_tokens": req.max_output_tokens,
        "max_tool_calls": None,
        "model": MODEL_ID,
        "output": output,
        "parallel_tool_calls": req.parallel_tool_calls,
        "previous_response_id": req.previous_response_id,
        "reasoning": _reasoning_echo(req),
        "service_tier": "default",
        "store": req.store,
        "temperature": 1.0 if req.temperature is None else req.temperature,
        "text": _text_echo(req),
        "tool_choice": req.tool_choice,
        "tools": req.tools,
        "top_logprobs": 0,
        "top_p": 1.0 if req.top_p is None else req.top_p,
        "truncation": "disabled",
        "usage": {
            "input_tokens": in_tokens,
            "input_tokens_details": {
                "cached_tokens": 0,
                "cache_write_tokens": 0,
            },
            "output_tokens": out_tokens,
            "output_tokens_details": {"reasoning_tokens": reasoning_tokens},
            "total_tokens": in_tokens + out_tokens,
        },
        "metadata": req.metadata,
    }


def create_response(
    body: Any, store: ResponseStore
) -> tuple[ResponseRequest, dict[str, Any]]:
    """Validate, plan and build one response; store it if asked.

    Returns the parsed request (for ``stream``) and the Response dict.
    Raises ``ApiError`` for every client mistake.

    Introduced in 06_gpt51_agent_loop.
    """
    req = parse_request(body)
    context: list[dict] = []
    if req.previous_response_id is not None:
        record = store.get(req.previous_response_id)
        if record is None:
            raise errors.previous_not_found(req.previous_response_id)
        context = list(record.context)
    check_pairing(context, req.items, store)
    full = context + req.items
    p = plan(full, req.tools, req.tool_choice, req.parallel_tool_calls)
    response = build_response(req, full, p)
    output = response["output"]
    rs_id = output[0]["id"]
    for item in output:
        if item["type"] == "function_call":
            store.link(item["id"], rs_id)
    if req.store:
        outs = [normalise_item(o, "output") for o in output]
        store.put(Record(response, full + outs))
    return req, response
