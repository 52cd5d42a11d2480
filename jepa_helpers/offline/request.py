"""Parse and validate a ``POST /v1/responses`` body (no HTTP here).

Checks types the way the real API does and answers its error wording
(``errors``); normalises input items into small dicts the narrator and
the store read: ``{"type": "message", "role", "text"}``,
``{"type": "function_call", "id", "call_id", "name", "arguments"}``,
``{"type": "function_call_output", "call_id", "output"}``,
``{"type": "reasoning", "id", "summary", "encrypted_content"}``.

Introduced in 06_gpt51_agent_loop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from . import errors

# Top-level fields of CreateResponse in OpenAI's OpenAPI spec.
KNOWN = frozenset(
    "background context_management conversation include input "
    "instructions max_output_tokens max_tool_calls metadata model "
    "moderation parallel_tool_calls previous_response_id prompt "
    "prompt_cache_key prompt_cache_options prompt_cache_retention "
    "reasoning safety_identifier service_tier store stream "
    "stream_options temperature text tool_choice tools top_logprobs "
    "top_p truncation user".split()
)
UNSUPPORTED = ("conversation", "prompt", "background")
ROLES = ("user", "assistant", "system", "developer")
TEXT_PARTS = ("input_text", "output_text", "text", "refusal")
OTHER_PARTS = ("input_image", "input_file", "input_audio")
NAME_RE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


@dataclass
class ResponseRequest:
    """A validated ``POST /v1/responses`` body.

    Introduced in 06_gpt51_agent_loop.
    """

    model: str
    items: list[dict] = field(default_factory=list)
    instructions: str | None = None
    tools: list[dict] = field(default_factory=list)
    tool_choice: Any = "auto"
    parallel_tool_calls: bool = True
    previous_response_id: str | None = None
    store: bool = True
    stream: bool = False
    reasoning: dict | None = None
    text: dict | None = None
    include: list[str] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    temperature: float | None = None
    top_p: float | None = None
    max_output_tokens: int | None = None

    @property
    def wants_summary(self) -> bool:
        """True when ``reasoning.summary`` asks for a reasoning summary."""
        r = self.reasoning or {}
        return bool(r.get("summary") or r.get("generate_summary"))


def _opt(body: dict, key: str, kind: type | tuple, expected: str) -> Any:
    value = body.get(key)
    if value is None:
        return None
    ok = isinstance(value, kind) and not (
        isinstance(value, bool) and bool not in _as_tuple(kind)
    )
    if not ok:
        raise errors.invalid_type(key, expected, value)
    return value


def _as_tuple(kind: type | tuple) -> tuple:
    return kind if isinstance(kind, tuple) else (kind,)


def _text_of(content: Any, where: str) -> str:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise errors.invalid_type(
            where, "one of a string or array of content parts", content
        )
    texts = []
    for j, part in enumerate(content):
        p = f"{where}[{j}]"
        if not isinstance(part, dict):
            raise errors.invalid_type(p, "an object", part)
        kind = part.get("type")
        if kind in TEXT_PARTS:
            t = part.get("text", part.get("refusal"))
            if not isinstance(t, str):
                raise errors.invalid_type(f"{p}.text", "a string", t)
            texts.append(t)
        elif kind not in OTHER_PARTS:
            raise errors.invalid_value(
                f"{p}.type", kind, list(TEXT_PARTS + OTHER_PARTS)
            )
    return "\n".join(texts)


def _need_str(item: dict, key: str, where: str) -> str:
    if key not in item or item[key] is None:
        raise errors.missing(f"{where}.{key}")
    if not isinstance(item[key], str):
        raise errors.invalid_type(f"{where}.{key}", "a string", item[key])
    return item[key]


def normalise_item(item: Any, where: str) -> dict:
    """One input (or output) item as a small dict; raises ``ApiError``.

    Introduced in 06_gpt51_agent_loop.
    """
    if not isinstance(item, dict):
        raise errors.invalid_type(where, "an object", item)
    kind = item.get("type")
    if kind is None and "role" in item:
        kind = "message"
    if kind == "message":
        role = item.get("role")
        if role not in ROLES:
            raise errors.invalid_value(f"{where}.role", role, list(ROLES))
        if "content" not in item:
            raise errors.missing(f"{where}.content")
        text = _text_of(item["content"], f"{where}.content")
        out = {"type": "message", "role": role, "text": text}
        if isinstance(item.get("id"), str):
            out["id"] = item["id"]
        return out
    if kind == "function_call":
        out = {
            "type": "function_call",
            "call_id": _need_str(item, "call_id", where),
            "name": _need_str(item, "name", where),
            "arguments": _need_str(item, "arguments", where),
        }
        if isinstance(item.get("id"), str):
            out["id"] = item["id"]
        return out
    if kind == "function_call_output":
        call_id = _need_str(item, "call_id", where)
        if "output" not in item:
            raise errors.missing(f"{where}.output")
        output = item["output"]
        if not isinstance(output, (str, list)):
            raise errors.invalid_type(
                f"{where}.output", "a string or an array", output
            )
        return {
            "type": "function_call_output",
            "call_id": call_id,
            "output": output,
        }
    if kind == "reasoning":
        rid = _need_str(item, "id", where)
        summary = item.get("summary")
        if not isinstance(summary, list):
            raise errors.missing(f"{where}.summary")
        enc = item.get("encrypted_content")
        return {
            "type": "reasoning",
            "id": rid,
            "summary": summary,
            "encrypted_content": enc if isinstance(enc, str) else None,
        }
    raise errors.invalid_value(
        f"{where}.type",
        kind,
        ["message", "function_call", "function_call_output", "reasoning"],
    )


def _strict_check(schema: Any, name: str, i: int, ctx: tuple) -> None:
    """The real API's strict-mode rules for object schemas."""
    if not isinstance(schema, dict):
        return
    where = f"Invalid schema for function '{name}': In context={ctx!r}"
    param = f"tools[{i}].parameters"
    if schema.get("type") == "object" or "properties" in schema:
        if schema.get("additionalProperties") is not False:
            raise errors.ApiError(
                400,
                f"{where}, 'additionalProperties' is required to be "
                "supplied and to be false.",
                param=param,
                code="invalid_function_parameters",
            )
        props = schema.get("properties") or {}
        required = schema.get("required") or []
        lacking = [p for p in props if p not in required]
        if lacking:
            raise errors.ApiError(
                400,
                f"{where}, 'required' is required to be supplied and to "
                "be an array including every key in properties. Missing "
                f"'{lacking[0]}'.",
                param=param,
                code="invalid_function_parameters",
            )
        for key, sub in props.items():
            _strict_check(sub, name, i, ctx + ("properties", key))
    for key in ("items",):
        if isinstance(schema.get(key), dict):
            _strict_check(schema[key], name, i, ctx + (key,))
    for key in ("anyOf", "oneOf", "allOf"):
        for j, sub in enumerate(schema.get(key) or []):
            _strict_check(sub, name, i, ctx + (key, str(j)))
    for key in ("$defs", "definitions"):
        for sub_name, sub in (schema.get(key) or {}).items():
            _strict_check(sub, name, i, ctx + (key, sub_name))


def _tools(value: Any) -> list[dict]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise errors.invalid_type("tools", "an array", value)
    out = []
    for i, tool in enumerate(value):
        where = f"tools[{i}]"
        if not isinstance(tool, dict):
            raise errors.invalid_type(where, "an object", tool)
        if tool.get("type") != "function":
            raise errors.invalid_value(
                f"{where}.type", tool.get("type"), ["function"]
            )
        name = _need_str(tool, "name", where)
        if not NAME_RE.match(name):
            raise errors.bad_value(
                f"{where}.name",
                f"Invalid '{where}.name': string does not match pattern. "
                "Expected a string that matches the pattern "
                "'^[a-zA-Z0-9_-]+$'.",
            )
        params = tool.get("parameters")
        if params is not None and not isinstance(params, dict):
            raise errors.invalid_type(
                f"{where}.parameters", "an object", params
            )
        strict = tool.get("strict")
        if strict is not None and not isinstance(strict, bool):
            raise errors.invalid_type(f"{where}.strict", "a boolean", strict)
        strict = True if strict is None else strict
        if strict and params is not None:
            _strict_check(params, name, i, ())
        desc = tool.get("description")
        out.append(
            {
                "type": "function",
                "name": name,
                "description": desc if isinstance(desc, str) else None,
                "parameters": params,
                "strict": strict,
            }
        )
    return out


def _tool_choice(value: Any, tools: list[dict]) -> Any:
    if value is None:
        return "auto"
    if isinstance(value, str):
        if value not in ("none", "auto", "required"):
            raise errors.invalid_value(
                "tool_choice", value, ["none", "auto", "required"]
            )
        return value
    if not isinstance(value, dict):
        raise errors.invalid_type(
            "tool_choice", "a string or an object", value
        )
    if value.get("type") == "function":
        name = value.get("name")
        if name not in {t["name"] for t in tools}:
            raise errors.ApiError(
                400,
                f"Tool choice '{name}' not found in 'tools' parameter.",
                param="tool_choice",
            )
        return {"type": "function", "name": name}
    if value.get("type") == "allowed_tools":
        return value
    raise errors.invalid_value(
        "tool_choice.type", value.get("type"), ["function", "allowed_tools"]
    )


def parse_request(body: Any) -> ResponseRequest:
    """Validate a decoded JSON body; raise ``ApiError`` on the first fault.

    Introduced in 06_gpt51_agent_loop.
    """
    if not isinstance(body, dict):
        raise errors.invalid_type("body", "an object", body)
    for key in body:
        if key not in KNOWN:
            raise errors.unknown_parameter(key)
    for key in UNSUPPORTED:
        if body.get(key) not in (None, False):
            raise errors.bad_value(
                key,
                f"The offline narrator does not support '{key}'.",
            )
    model = body.get("model")
    if model is None:
        raise errors.missing("model")
    if not isinstance(model, str):
        raise errors.invalid_type("model", "a string", model)
    raw = body.get("input")
    if raw is None and not body.get("previous_response_id"):
        raise errors.missing("input")
    items: list[dict] = []
    if isinstance(raw, str):
        items = [{"type": "message", "role": "user", "text": raw}]
    elif isinstance(raw, list):
        items = [normalise_item(x, f"input[{i}]") for i, x in enumerate(raw)]
    elif raw is not None:
        raise errors.invalid_type(
            "input", "one of a string or array of input items", raw
        )
    tools = _tools(body.get("tools"))
    metadata = _opt(body, "metadata", dict, "an object") or {}
    for k, v in metadata.items():
        if not isinstance(v, str):
            raise errors.invalid_type(f"metadata.{k}", "a string", v)
    include = _opt(body, "include", list, "an array") or []
    return ResponseRequest(
        model=model,
        items=items,
        instructions=_opt(body, "instructions", str, "a string"),
        tools=tools,
        tool_choice=_tool_choice(body.get("tool_choice"), tools),
        parallel_tool_calls=_opt(
            body, "parallel_tool_calls", bool, "a boolean"
        )
        is not False,
        previous_response_id=_opt(
            body, "previous_response_id", str, "a string"
        ),
        store=_opt(body, "store", bool, "a boolean") is not False,
        stream=bool(_opt(body, "stream", bool, "a boolean")),
        reasoning=_opt(body, "reasoning", dict, "an object"),
        text=_opt(body, "text", dict, "an object"),
        include=[str(x) for x in include],
        metadata=metadata,
        temperature=_opt(body, "temperature", (int, float), "a decimal"),
        top_p=_opt(body, "top_p", (int, float), "a decimal"),
        max_output_tokens=_opt(body, "max_output_tokens", int, "an integer"),
    )
