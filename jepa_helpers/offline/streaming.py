"""Server-sent events for a streamed response: the real event sequence.

``response.created`` -> ``response.in_progress`` -> per output item:
``output_item.added``, then (reasoning summary part/text events |
function_call_arguments delta/done | content_part.added, output_text
delta/done, content_part.done), ``output_item.done`` ->
``response.completed``. ``sequence_number`` counts up from 0.

Introduced in 06_gpt51_agent_loop.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any, Iterator

_PIECE = re.compile(r"\S+\s*|\s+")
WORDS_PER_DELTA = 4
ARG_CHARS = 24


def text_chunks(text: str) -> list[str]:
    """Split text into deltas of a few words (they join back exactly)."""
    pieces = _PIECE.findall(text)
    out = [
        "".join(pieces[i : i + WORDS_PER_DELTA])
        for i in range(0, len(pieces), WORDS_PER_DELTA)
    ]
    return out or [""]


def arg_chunks(arguments: str) -> list[str]:
    """Split JSON arguments into fixed-size deltas."""
    return [
        arguments[i : i + ARG_CHARS]
        for i in range(0, len(arguments), ARG_CHARS)
    ] or [""]


def _added_form(item: dict) -> dict:
    """How an item looks in ``output_item.added`` (before any delta)."""
    kind = item["type"]
    if kind == "message":
        return {**item, "status": "in_progress", "content": []}
    if kind == "function_call":
        return {**item, "status": "in_progress", "arguments": ""}
    if kind == "reasoning":
        return {**item, "summary": []}
    return dict(item)


def _item_events(index: int, item: dict) -> Iterator[dict]:
    kind = item["type"]
    iid = item["id"]
    yield {
        "type": "response.output_item.added",
        "output_index": index,
        "item": _added_form(item),
    }
    if kind == "reasoning":
        for s, part in enumerate(item.get("summary", [])):
            base = {"item_id": iid, "output_index": index, "summary_index": s}
            yield {
                "type": "response.reasoning_summary_part.added",
                **base,
                "part": {"type": "summary_text", "text": ""},
            }
            for d in text_chunks(part["text"]):
                yield {
                    "type": "response.reasoning_summary_text.delta",
                    **base,
                    "delta": d,
                }
            yield {
                "type": "response.reasoning_summary_text.done",
                **base,
                "text": part["text"],
            }
            yield {
                "type": "response.reasoning_summary_part.done",
                **base,
                "part": {"type": "summary_text", "text": part["text"]},
            }
    elif kind == "function_call":
        base = {"item_id": iid, "output_index": index}
        for d in arg_chunks(item["arguments"]):
            yield {
                "type": "response.function_call_arguments.delta",
                **base,
                "delta": d,
            }
        yield {
            "type": "response.function_call_arguments.done",
            **base,
            "name": item["name"],
            "arguments": item["arguments"],
        }
    elif kind == "message":
        for c, part in enumerate(item["content"]):
            base = {"item_id": iid, "output_index": index, "content_index": c}
            empty = {**part, "text": ""}
            yield {
                "type": "response.content_part.added",
                **base,
                "part": empty,
            }
            for d in text_chunks(part["text"]):
                yield {
                    "type": "response.output_text.delta",
                    **base,
                    "delta": d,
                    "logprobs": [],
                }
            yield {
                "type": "response.output_text.done",
                **base,
                "text": part["text"],
                "logprobs": [],
            }
            yield {"type": "response.content_part.done", **base, "part": part}
    yield {
        "type": "response.output_item.done",
        "output_index": index,
        "item": item,
    }


def events(response: dict[str, Any]) -> list[dict]:
    """All stream events for a finished response, numbered from 0.

    Introduced in 06_gpt51_agent_loop.
    """
    start = copy.deepcopy(response)
    start.update(status="in_progress", output=[], completed_at=None)
    start.pop("usage", None)  # ResponseUsage is not nullable in the spec
    out: list[dict] = [
        {"type": "response.created", "response": start},
        {"type": "response.in_progress", "response": start},
    ]
    for index, item in enumerate(response["output"]):
        out.extend(_item_events(index, item))
    out.append({"type": "response.completed", "response": response})
    for n, event in enumerate(out):
        event["sequence_number"] = n
    return out


def sse(event: dict) -> bytes:
    """One event in SSE framing: ``event: <type>`` + ``data: <json>``."""
    data = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    return f"event: {event['type']}\ndata: {data}\n\n".encode("utf-8")
