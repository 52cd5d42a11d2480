"""The offline narrator: a deterministic, scripted policy (no model).

Given the conversation (normalised input items), the offered function
tools, ``tool_choice`` and ``parallel_tool_calls``, it decides one of:

- call tools: one ``function_call`` per evaluation named in the last
  user turn (``Context:``/``Candidate:`` lines or JSON), arguments filled
  from the tool's own schema; several candidates for one context go to a
  ranking tool (an array property) when one is offered;
- explain: once every call has its output, a message that explains each
  tool result (energy, its sign and size, cosines, top token pairs);
- decline: a message saying why no tool fits.

Same conversation in, same plan out. It names itself in every message.

Introduced in 06_gpt51_agent_loop.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .arguments import (
    Evaluation,
    essential,
    fill_arguments,
    find_evaluations,
    property_types,
)
from .explain import BANNER, explain

MODEL_ID = "offline-scripted-narrator"


@dataclass(frozen=True)
class Call:
    """A function call the narrator makes: tool name + JSON arguments."""

    name: str
    arguments: str


@dataclass
class Plan:
    """What the narrator answers: a reasoning summary, calls or a message.

    Introduced in 06_gpt51_agent_loop.
    """

    reasoning: str
    calls: list[Call] = field(default_factory=list)
    message: str | None = None


def _say(*parts: str) -> str:
    return BANNER + "\n\n" + "\n\n".join(p for p in parts if p)


def _user_text(items: list[dict]) -> tuple[int, str]:
    """Index and text of the last user message (-1, "" if none)."""
    for i in range(len(items) - 1, -1, -1):
        item = items[i]
        if item.get("type") == "message" and item.get("role") == "user":
            return i, str(item.get("text", ""))
    return -1, ""


def _allowed(tools: list[dict], tool_choice: Any) -> tuple[list[dict], bool]:
    """Tools the narrator may call and whether it must call one."""
    fns = [t for t in tools if t.get("type") == "function"]
    if tool_choice == "none":
        return [], False
    if tool_choice == "required":
        return fns, True
    if isinstance(tool_choice, dict):
        kind = tool_choice.get("type")
        if kind == "function":
            name = tool_choice.get("name")
            return [t for t in fns if t.get("name") == name], True
        if kind == "allowed_tools":
            names = {
                t.get("name")
                for t in tool_choice.get("tools") or []
                if isinstance(t, dict)
            }
            must = tool_choice.get("mode") == "required"
            return [t for t in fns if t.get("name") in names], must
    return fns, False


def _values(ev: Evaluation, options: dict, ranking: bool) -> dict:
    vals: dict[str, Any] = dict(options)
    vals.update(ev.options)
    if ev.context is not None:
        vals["context"] = ev.context
    if ranking:
        vals["candidates"] = list(ev.candidates)
    elif ev.candidates:
        vals["candidate"] = ev.candidates[0]
    return vals


def _best(tools: list[dict], vals: dict) -> dict | None:
    """The offered tool that fits ``vals`` best (ties: first offered)."""
    keys = {k.lower() for k in vals}
    best, score = None, 0
    for tool in tools:
        params = tool.get("parameters")
        found = [p for p in property_types(params) if p.lower() in keys]
        need = essential(params)
        if not found or any(p.lower() not in keys for p in need):
            continue
        if len(found) > score:
            best, score = tool, len(found)
    return best


def _call(tool: dict, vals: dict) -> Call:
    args = fill_arguments(tool.get("parameters"), vals)
    return Call(
        str(tool.get("name")),
        json.dumps(args, ensure_ascii=False, separators=(",", ":")),
    )


def _calls_for(ev: Evaluation, options: dict, tools: list[dict]) -> list[Call]:
    """Calls for one evaluation; [] when no offered tool fits."""
    if len(ev.candidates) > 1:
        vals = _values(ev, options, ranking=True)
        tool = _best(tools, vals)
        if tool is not None:
            return [_call(tool, vals)]
        out = []
        for cand in ev.candidates:
            one = Evaluation(ev.context, [cand], ev.options)
            out.extend(_calls_for(one, options, tools))
        return out
    for ranking in (False, True):
        vals = _values(ev, options, ranking)
        tool = _best(tools, vals)
        if tool is not None:
            return [_call(tool, vals)]
    return []


def _explain_outputs(calls: list[dict], outputs: dict[str, Any]) -> Plan:
    n = len(calls)
    parts = []
    for k, call in enumerate(calls, 1):
        text = explain(
            str(call.get("name")),
            str(call.get("arguments", "")),
            outputs.get(call.get("call_id")),
        )
        parts.append(f"Result {k} of {n}. {text}" if n > 1 else text)
    parts.append(
        "Reminder: lower energy means more compatible. These numbers come "
        "from the tool; the narrator only reads them back."
    )
    return Plan(
        reasoning=(
            f"All {n} tool call(s) have outputs; explain each result: "
            "energy, what its sign and size mean, cosines, token pairs."
        ),
        message=_say(*parts),
    )


def plan(
    items: list[dict],
    tools: list[dict],
    tool_choice: Any = "auto",
    parallel_tool_calls: bool = True,
) -> Plan:
    """Decide the reply to a conversation. Pure and deterministic.

    ``items``: normalised input items (``type`` message with ``role`` and
    ``text``; function_call; function_call_output; reasoning).

    Introduced in 06_gpt51_agent_loop.
    """
    last, text = _user_text(items)
    trailing = items[last + 1 :]
    calls = [i for i in trailing if i.get("type") == "function_call"]
    if calls:
        outputs = {
            i.get("call_id"): i.get("output")
            for i in trailing
            if i.get("type") == "function_call_output"
        }
        return _explain_outputs(calls, outputs)

    allowed, must = _allowed(tools, tool_choice)
    fn_names = [
        str(t.get("name")) for t in tools if t.get("type") == "function"
    ]
    if tool_choice == "none" and fn_names:
        return Plan(
            reasoning="tool_choice is 'none': no tool may be called.",
            message=_say(
                "tool_choice is 'none', so I call no tool. I cannot score "
                "anything myself: I am a script that calls the energy tool "
                "and reads its result back."
            ),
        )
    if not allowed:
        offered = ", ".join(f"`{n}`" for n in fn_names) or "none"
        return Plan(
            reasoning="No function tool is available to call.",
            message=_say(
                f"No tool fits this request (function tools offered: "
                f"{offered}). I cannot score texts without a tool: offer "
                "an energy tool and name the texts with 'Context:' and "
                "'Candidate:' lines."
            ),
        )
    evals, options = find_evaluations(text)
    out: list[Call] = []
    for ev in evals:
        out.extend(_calls_for(ev, options, allowed))
    if not out and must:
        ev = evals[0] if evals else Evaluation(None)
        vals = _values(ev, options, ranking=len(ev.candidates) > 1)
        out = [_call(allowed[0], vals)]
    if not out:
        names = ", ".join(f"`{t.get('name')}`" for t in allowed)
        why = (
            "none of the offered tools ({}) takes the texts I found"
            if evals
            else "I found no texts to score in the last user message "
            "(offered tools: {})"
        ).format(names)
        return Plan(
            reasoning="No offered tool fits the request.",
            message=_say(
                f"No tool fits: {why}. Write 'Context: ...' and "
                "'Candidate: ...' lines (or a JSON object with "
                '"context" and "candidate") and offer a matching tool.'
            ),
        )
    note = ""
    if not parallel_tool_calls and len(out) > 1:
        note = (
            f" parallel_tool_calls is false, so only the first of "
            f"{len(out)} calls is made now."
        )
        out = out[:1]
    names = sorted({c.name for c in out})
    return Plan(
        reasoning=(
            f"The last user turn names {len(out)} evaluation(s); call "
            + ", ".join(f"`{n}`" for n in names)
            + " with the arguments found in the text."
            + note
        ),
        calls=out,
    )
