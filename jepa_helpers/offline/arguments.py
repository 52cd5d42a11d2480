"""Find what to score in a user turn and fill any tool's JSON schema.

The narrator reads ``Context:`` / ``Candidate:`` / ``Candidates:`` lines,
any other ``Key: value`` line (an option such as ``Energy: softmax``) and
JSON objects in the text, then fills an offered function tool's
``parameters`` schema generically: a value found in the text (coerced to
the property's type, enums respected), else ``null`` when the type allows
it, else the schema default, else a zero value. Pure functions, no I/O.

Introduced in 06_gpt51_agent_loop.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

_KEY_LINE = re.compile(
    r"^\s*(?:[-*\u2022]\s*)?([A-Za-z][A-Za-z0-9_ \-]{0,40}?)\s*:\s*(.*?)\s*$"
)
_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+(.+?)\s*$")
_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


@dataclass
class Evaluation:
    """One thing to score: a context and one or more candidates.

    Introduced in 06_gpt51_agent_loop.
    """

    context: str | None
    candidates: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)


def _unquote(value: str) -> str:
    value = value.strip()
    pairs = ('""', "''", "\u201c\u201d", "``")
    if len(value) >= 2 and any(
        value[0] == a and value[-1] == b for a, b in pairs
    ):
        return value[1:-1]
    return value


def _split_list(value: str) -> list[str]:
    """``["a", "b"]`` (JSON), ``a | b`` or ``a; b`` -> list of strings."""
    value = value.strip()
    if value.startswith("["):
        try:
            data = json.loads(value)
        except ValueError:
            data = None
        if isinstance(data, list):
            return [str(v) for v in data]
    for sep in ("|", ";"):
        if sep in value:
            return [_unquote(v) for v in value.split(sep) if v.strip()]
    return [_unquote(value)] if value else []


def _json_values(text: str) -> list[Any]:
    """Every top-level JSON object or array embedded in ``text``."""
    decoder = json.JSONDecoder()
    found: list[Any] = []
    i = 0
    while i < len(text):
        if text[i] in "{[":
            try:
                value, end = decoder.raw_decode(text, i)
            except ValueError:
                i += 1
                continue
            if isinstance(value, (dict, list)):
                found.append(value)
            i = end
        else:
            i += 1
    return found


def _from_json(value: Any, out: list[Evaluation], options: dict) -> None:
    """Turn a JSON object/list into evaluations and options."""
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                _from_json(item, out, options)
            elif (
                isinstance(item, list)
                and len(item) == 2
                and all(isinstance(s, str) for s in item)
            ):
                out.append(Evaluation(item[0], [item[1]]))
        return
    lower = {str(k).lower(): v for k, v in value.items()}
    if isinstance(lower.get("pairs"), list):
        _from_json(lower.pop("pairs"), out, options)
    ctx = lower.pop("context", None)
    cands: list[str] = []
    cand = lower.pop("candidate", None)
    if isinstance(cand, str):
        cands.append(cand)
    many = lower.pop("candidates", None)
    if isinstance(many, list):
        cands.extend(str(c) for c in many)
    if isinstance(ctx, str) or cands:
        out.append(
            Evaluation(ctx if isinstance(ctx, str) else None, cands, lower)
        )
    else:
        options.update(lower)


def find_evaluations(text: str) -> tuple[list[Evaluation], dict[str, Any]]:
    """Parse a user turn into evaluations and shared options.

    ``Context:`` starts an evaluation, each ``Candidate:`` adds a
    candidate to it, ``Candidates:`` adds a list (JSON, ``|``/``;``
    separated, or bullet lines below it). Other ``Key: value`` lines
    become options (keys lower-cased, spaces to ``_``). JSON objects with
    ``context``/``candidate(s)`` keys (or lists of them, or ``pairs``)
    count too.

    Introduced in 06_gpt51_agent_loop.
    """
    evals: list[Evaluation] = []
    options: dict[str, Any] = {}
    current: Evaluation | None = None
    listing = False
    for line in text.splitlines():
        bullet = _BULLET.match(line)
        m = _KEY_LINE.match(line)
        key = ""
        if m:
            key = re.sub(r"[\s\-]+", "_", m.group(1).strip().lower())
        if (
            listing
            and bullet
            and key
            not in (
                "context",
                "candidate",
                "candidates",
            )
        ):
            assert current is not None
            current.candidates.append(_unquote(bullet.group(1)))
            continue
        listing = False
        if not m:
            continue
        value = _unquote(m.group(2))
        if key == "context":
            current = Evaluation(value)
            evals.append(current)
        elif key in ("candidate", "candidates"):
            if current is None:
                current = Evaluation(None)
                evals.append(current)
            if key == "candidate":
                current.candidates.append(value)
            elif value:
                current.candidates.extend(_split_list(value))
            else:
                listing = True
        elif value and not value.startswith(("{", "[")):
            options.setdefault(key, value)
    if not evals:
        for value in _json_values(text):
            _from_json(value, evals, options)
    return evals, options


# ---- schema filling --------------------------------------------------


def _resolve(root: dict, node: Any) -> dict:
    """Follow local ``$ref`` pointers (``#/$defs/X``) inside ``root``."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 16:
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return {}
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        extra = {k: v for k, v in node.items() if k != "$ref"}
        node = {**target, **extra} if extra else target
        seen += 1
    return node if isinstance(node, dict) else {}


def _variants(root: dict, node: dict) -> list[dict]:
    """The alternatives of a schema (``anyOf``/``oneOf``), resolved."""
    node = _resolve(root, node)
    subs = node.get("anyOf") or node.get("oneOf")
    if isinstance(subs, list):
        out: list[dict] = []
        for sub in subs:
            out.extend(_variants(root, sub))
        return out
    return [node]


def _types(root: dict, node: dict) -> list[str]:
    """Allowed JSON types, in schema order (``null`` included)."""
    out: list[str] = []
    for v in _variants(root, node):
        t = v.get("type")
        if isinstance(t, list):
            out.extend(str(x) for x in t)
        elif isinstance(t, str):
            out.append(t)
        elif "enum" in v:
            out.extend(_enum_type(x) for x in v["enum"])
        elif "properties" in v:
            out.append("object")
    return list(dict.fromkeys(out))


def _enum_type(x: Any) -> str:
    if x is None:
        return "null"
    if isinstance(x, bool):
        return "boolean"
    if isinstance(x, (int, float)):
        return "number"
    return "string"


def _enum(root: dict, node: dict) -> list[Any] | None:
    values: list[Any] = []
    has = False
    for v in _variants(root, node):
        if "enum" in v:
            has = True
            values.extend(v["enum"])
        elif v.get("type") == "null":
            values.append(None)
    return values if has else None


def default_value(root: dict, node: dict) -> Any:
    """``null`` if allowed, else the default, else a zero value."""
    node = _resolve(root, node)
    types = _types(root, node)
    if "null" in types:
        return None
    if "default" in node:
        return node["default"]
    enum = _enum(root, node)
    if enum:
        return next(e for e in enum if e is not None)
    zero = {"string": "", "boolean": False, "integer": 0, "number": 0.0}
    for t in types:
        if t in zero:
            return zero[t]
        if t == "array":
            return []
        if t == "object":
            obj = next(
                (v for v in _variants(root, node) if "properties" in v), {}
            )
            return fill_object(root, obj, {})
    return None


def _coerce_one(root: dict, node: dict, t: str, value: Any) -> Any:
    """Coerce ``value`` to JSON type ``t`` or raise ``ValueError``."""
    if t == "null":
        if value is None or str(value).strip().lower() in ("null", "none"):
            return None
        raise ValueError
    if t == "boolean":
        if isinstance(value, bool):
            return value
        s = str(value).strip().lower()
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
        raise ValueError
    if t == "integer":
        if isinstance(value, bool):
            raise ValueError
        f = float(value)
        if f != int(f):
            raise ValueError
        return int(f)
    if t == "number":
        if isinstance(value, bool):
            raise ValueError
        f = float(value)
        return int(f) if isinstance(value, int) else f
    if t == "string":
        if isinstance(value, (dict, list)):
            raise ValueError
        return str(value)
    if t == "array":
        items = value
        if isinstance(value, str):
            items = _split_list(value)
        if not isinstance(items, list):
            items = [items]
        arr = next(
            (v for v in _variants(root, node) if v.get("type") == "array"),
            {},
        )
        sub = arr.get("items", {})
        return [coerce(root, sub, x) for x in items]
    if t == "object":
        if not isinstance(value, dict):
            raise ValueError
        obj = next((v for v in _variants(root, node) if "properties" in v), {})
        return fill_object(root, obj, value)
    raise ValueError


def coerce(root: dict, node: dict, value: Any) -> Any:
    """Coerce a found value to the property schema, or use the default."""
    node = _resolve(root, node)
    enum = _enum(root, node)
    if enum is not None:
        text = str(value).strip().lower()
        for e in enum:
            if e is not None and str(e).lower() == text:
                return e
        if value is None or text in ("null", "none"):
            if None in enum:
                return None
        return default_value(root, node)
    types = _types(root, node)
    # Try the type that matches the Python value first.
    order = sorted(
        types,
        key=lambda t: 0 if _enum_type(value) == t else 1,
    )
    if isinstance(value, str) and "string" in order:
        order = [t for t in order if t != "string"] + ["string"]
        if value.strip().lower() in ("null", "none") and "null" in types:
            return None
    for t in order:
        try:
            return _coerce_one(root, node, t, value)
        except (ValueError, TypeError, OverflowError):
            continue
    return default_value(root, node)


def fill_object(root: dict, node: dict, values: dict[str, Any]) -> dict:
    """Fill every property of an object schema (strict mode needs all).

    ``values`` keys match property names case-insensitively.

    Introduced in 06_gpt51_agent_loop.
    """
    node = _resolve(root, node)
    found = {str(k).lower(): v for k, v in values.items()}
    out: dict[str, Any] = {}
    for name, sub in (node.get("properties") or {}).items():
        if name.lower() in found:
            out[name] = coerce(root, sub, found[name.lower()])
        else:
            out[name] = default_value(root, sub)
    return out


def fill_arguments(parameters: dict | None, values: dict[str, Any]) -> dict:
    """Arguments for a tool whose ``parameters`` schema is given.

    Introduced in 06_gpt51_agent_loop.
    """
    return fill_object(parameters or {}, parameters or {}, values)


def property_types(parameters: dict | None) -> dict[str, list[str]]:
    """``{property: [json types]}`` of a tool's parameters schema."""
    root = parameters or {}
    node = _resolve(root, root)
    return {
        name: _types(root, sub)
        for name, sub in (node.get("properties") or {}).items()
    }


def essential(parameters: dict | None) -> list[str]:
    """Properties the narrator must find in the text: strings or arrays
    that allow neither null nor a default."""
    root = parameters or {}
    node = _resolve(root, root)
    out = []
    for name, sub in (node.get("properties") or {}).items():
        sub = _resolve(root, sub)
        types = _types(root, sub)
        if "null" in types or "default" in sub or _enum(root, sub):
            continue
        if "string" in types or "array" in types:
            out.append(name)
    return out
