"""The Responses API agent loop: GPT-5.1 calls the energy tools, explains.

One turn = one ``responses.create`` call. After each response the loop
runs *every* ``function_call`` item of ``response.output`` in order
(GPT-5.x puts a ``reasoning`` item first, so ``output[0]`` is the wrong
place to look; parallel calls come as several items), and sends back one
``function_call_output`` per ``call_id``:

- ``stateless=False`` (default): only the outputs, with
  ``previous_response_id`` (the server keeps the reasoning items);
- ``stateless=True``: ``store=False`` and the whole conversation each
  time, the response's own output items (reasoning with its
  ``encrypted_content``, function calls) followed by the outputs.

It stops when a response makes no call (the answer) or after
``max_turns`` responses, and says which in ``Transcript.stop_reason``
(it never loops forever). Tool failures never stop it: ``tools.dispatch``
returns them to the model as JSON errors. ``on_event`` sees each step as
it happens (the command line prints the seed's ``[DEBUG]`` lines from it).

Introduced in 06_gpt51_agent_loop.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import openai

from . import tools as tool_layer
from .client import DEFAULT_MODEL, Client

#: Most responses one run may request.
MAX_TURNS = 6
#: GPT-5.1's default effort: no reasoning tokens, fast tool calls.
REASONING = {"effort": "none"}

INSTRUCTIONS = (
    "You explain a toy joint-embedding (JEPA) + energy-based model. For "
    "each 'Context:' / 'Candidate:' pair in the user message, call "
    "evaluate_joint_embedding_energy once with exactly those texts and "
    "the options the message names (for example 'Energy:', 'Verbose:'); "
    "use null for options it does not name. For one context with several "
    "candidates, call rank_candidates. Then explain each result: quote "
    "the energy with its name to 4 decimals, say what its sign and size "
    "mean (lower = more compatible; the softmax energy is -sum w*phi, so "
    "more negative = more compatible), and name the top token pairs. Use "
    "only numbers from the tool results."
)


class AgentError(RuntimeError):
    """The API could not be reached or refused a request (one line)."""


# ------------------------------------------------------------- records


@dataclass(frozen=True)
class Event:
    """One step of a run, for ``on_event``.

    ``kind``: ``"response"`` (a response arrived; ``text`` lists its item
    types), ``"tool_call"`` (``name``, ``arguments``), ``"tool_result"``
    (``name``, ``arguments``, ``output``), ``"text_delta"`` (streamed
    text), ``"answer"`` (``text``: the final text), ``"turn_limit"``.

    Introduced in 06_gpt51_agent_loop.
    """

    kind: str
    turn: int
    name: str | None = None
    arguments: str | None = None
    output: str | None = None
    text: str | None = None


@dataclass
class ToolCall:
    """One function call the model made and what the tool returned.

    ``output`` is the JSON string sent back (``None``: not run, because
    the turn limit was reached).

    Introduced in 06_gpt51_agent_loop.
    """

    turn: int
    name: str
    arguments: str
    call_id: str
    output: str | None = None

    @property
    def args(self) -> dict | None:
        """The arguments as a dict (``None`` if they are not a JSON
        object)."""
        return _json_object(self.arguments)

    @property
    def result(self) -> dict | None:
        """The tool's payload as a dict."""
        return None if self.output is None else _json_object(self.output)

    @property
    def energy(self) -> float | None:
        """The energy the tool returned (best candidate's for a ranking)."""
        r = self.result or {}
        if isinstance(r.get("energy"), (int, float)):
            return float(r["energy"])
        ranking = r.get("ranking")
        if isinstance(ranking, list) and ranking:
            e = (
                ranking[0].get("energy")
                if isinstance(ranking[0], dict)
                else None
            )
            return float(e) if isinstance(e, (int, float)) else None
        return None

    @property
    def error(self) -> str | None:
        """The error type the tool returned, if any."""
        err = (self.result or {}).get("error")
        if isinstance(err, dict):
            return str(err.get("type") or "error")
        return None


@dataclass
class Turn:
    """One response: its item types, calls, text and token usage.

    Introduced in 06_gpt51_agent_loop.
    """

    index: int
    model: str
    status: str | None
    items: list[str]
    calls: list[ToolCall] = field(default_factory=list)
    text: str = ""
    usage: dict[str, int] | None = None


@dataclass
class Transcript:
    """What happened in one run, for tables and tests.

    ``stop_reason``: ``"answered"`` (a response with no call),
    ``"turn_limit"`` (``max_turns`` responses, still calling tools) or
    ``"incomplete"`` (the API cut the response short).

    Introduced in 06_gpt51_agent_loop.
    """

    prompt: str
    mode: str | None
    turns: list[Turn] = field(default_factory=list)
    final_text: str = ""
    stop_reason: str = "answered"
    max_turns: int = MAX_TURNS

    @property
    def model(self) -> str | None:
        """The model that answered, as the server reports it."""
        return self.turns[-1].model if self.turns else None

    @property
    def tool_calls(self) -> list[ToolCall]:
        """Every call of every turn, in order."""
        return [c for t in self.turns for c in t.calls]

    @property
    def usage(self) -> dict[str, int]:
        """Token counts summed over the turns (empty if none reported)."""
        total: dict[str, int] = {}
        for t in self.turns:
            for k, v in (t.usage or {}).items():
                total[k] = total.get(k, 0) + v
        return total

    def to_rows(self, width: int = 28) -> list[dict[str, Any]]:
        """One row per tool call and one for the answer: ``turn``,
        ``step``, ``tool``, ``arguments`` (texts shortened to ``width``),
        ``energy`` (4 decimals, or the error type), ``tokens`` (output
        tokens of that turn). No ids, so the rows are deterministic."""
        rows = []
        for t in self.turns:
            tokens = (t.usage or {}).get("output_tokens")
            for c in t.calls:
                if c.output is None:
                    energy = "not run (turn limit)"
                elif c.error:
                    energy = f"error: {c.error}"
                elif c.energy is not None:
                    energy = f"{c.energy:.4f}"
                else:
                    energy = ""
                rows.append(
                    {
                        "turn": t.index,
                        "step": "tool call",
                        "tool": c.name,
                        "arguments": _short_args(c.arguments, width),
                        "energy": energy,
                        "tokens": tokens,
                    }
                )
            if not t.calls:
                rows.append(
                    {
                        "turn": t.index,
                        "step": "answer",
                        "tool": "",
                        "arguments": "",
                        "energy": "",
                        "tokens": tokens,
                    }
                )
        return rows

    def to_markdown(self, width: int = 28) -> str:
        """The rows as a Markdown table, then the stop reason."""
        rows = self.to_rows(width)
        cols = ["turn", "step", "tool", "arguments", "energy", "tokens"]
        cell = lambda v: "" if v is None else str(v).replace("|", "\\|")
        lines = [
            "| " + " | ".join(cols) + " |",
            "|" + "|".join("---" for _ in cols) + "|",
        ]
        for r in rows:
            lines.append("| " + " | ".join(cell(r[c]) for c in cols) + " |")
        lines.append("")
        lines.append(self.summary())
        return "\n".join(lines)

    def summary(self) -> str:
        """One line: turns, calls, tokens and why the run stopped."""
        n = len(self.turns)
        reason = {
            "answered": "answered",
            "turn_limit": f"stopped at the turn limit ({self.max_turns})",
            "incomplete": "the response was incomplete",
        }.get(self.stop_reason, self.stop_reason)
        tokens = self.usage.get("total_tokens")
        tok = f", {tokens} tokens" if tokens is not None else ""
        return (
            f"{n} turn(s), {len(self.tool_calls)} tool call(s){tok}: "
            f"{reason}."
        )

    def __repr__(self) -> str:
        return f"Transcript({self.summary()!r})"


# ---------------------------------------------------------------- loop


def build_prompt(
    context: str,
    candidate: str | list[str],
    energy: str | None = None,
    **options: Any,
) -> str:
    """The user message: ``Context:`` / ``Candidate:`` lines, then one
    ``Key: value`` line per option given (``Energy: softmax``,
    ``Verbose: true``, ``Temperature: 0.7``...).

    Each text goes on one line (line breaks become spaces). A list of
    candidates gives one ``Candidate:`` line each (a ranking).

    Introduced in 06_gpt51_agent_loop.
    """
    one_line = lambda s: " ".join(str(s).splitlines())
    cands = [candidate] if isinstance(candidate, str) else list(candidate)
    lines = [f"Context: {one_line(context)}"]
    lines += [f"Candidate: {one_line(c)}" for c in cands]
    if energy is not None:
        lines.append(f"Energy: {energy}")
    for key, value in options.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        label = key.replace("_", " ").capitalize()
        lines.append(f"{label}: {value}")
    return "\n".join(lines)


def run_agent(
    client: Client | openai.OpenAI,
    prompt: str,
    *,
    tools: Mapping[str, tool_layer.Tool] | None = None,
    model: str | None = None,
    instructions: str | None = INSTRUCTIONS,
    max_turns: int = MAX_TURNS,
    stateless: bool = False,
    reasoning: dict | None = REASONING,
    stream: bool = False,
    on_event: Callable[[Event], None] | None = None,
    **create_options: Any,
) -> Transcript:
    """Run the loop for one user ``prompt``; return the ``Transcript``.

    ``client``: a ``Client`` from ``make_client()`` or a bare
    ``openai.OpenAI``. ``tools``: name -> ``Tool`` (default
    ``tools.TOOLS``). ``stream=True`` streams each response and reports
    its text as ``text_delta`` events. Extra keywords go to every
    ``responses.create`` call. Raises ``AgentError`` when the server
    cannot be reached or refuses a request.

    Introduced in 06_gpt51_agent_loop.
    """
    if max_turns < 1:
        raise ValueError(f"max_turns must be >= 1, got {max_turns}")
    registry = tool_layer.TOOLS if tools is None else tools
    if isinstance(client, Client):
        sdk, mode = client.sdk, client.mode
        model = model or client.model
    else:
        sdk, mode, model = client, None, model or DEFAULT_MODEL
    emit = on_event or (lambda event: None)
    request: dict[str, Any] = {"model": model}
    if registry:
        request["tools"] = tool_layer.tool_schemas(registry)
    if instructions:
        request["instructions"] = instructions
    if reasoning is not None:
        request["reasoning"] = reasoning
    if stateless:
        request["store"] = False
        request["include"] = ["reasoning.encrypted_content"]
    request.update(create_options)

    transcript = Transcript(prompt, mode, max_turns=max_turns)
    conversation: list[Any] = [{"role": "user", "content": prompt}]
    new_input: list[Any] = list(conversation)
    previous_id: str | None = None
    for index in range(1, max_turns + 1):
        body = dict(request, input=conversation if stateless else new_input)
        if previous_id is not None and not stateless:
            body["previous_response_id"] = previous_id
        response = _create(sdk, body, stream, mode, index, emit)
        turn = _turn(index, response)
        transcript.turns.append(turn)
        emit(Event("response", index, text=" ".join(turn.items)))
        if not turn.calls:
            transcript.final_text = turn.text
            if getattr(response, "status", None) == "incomplete":
                transcript.stop_reason = "incomplete"
            emit(Event("answer", index, text=turn.text))
            return transcript
        if index == max_turns:
            break
        outputs = []
        for call in turn.calls:
            emit(Event("tool_call", index, call.name, call.arguments))
            if registry is tool_layer.TOOLS and mode is not None:
                tool_layer.get_scorer(mode)  # tools score in the same mode
            call.output = tool_layer.dispatch(
                call.name, call.arguments, registry
            )
            emit(
                Event(
                    "tool_result",
                    index,
                    call.name,
                    call.arguments,
                    call.output,
                )
            )
            outputs.append(
                {
                    "type": "function_call_output",
                    "call_id": call.call_id,
                    "output": call.output,
                }
            )
        if stateless:
            conversation += [_as_input(i) for i in response.output]
            conversation += outputs
        else:
            new_input, previous_id = outputs, response.id
    transcript.stop_reason = "turn_limit"
    transcript.final_text = (
        f"Stopped after {max_turns} turn(s): the model was still calling "
        "tools, so no final answer was given."
    )
    emit(Event("turn_limit", max_turns, text=transcript.final_text))
    return transcript


# -------------------------------------------------------------- helpers


def _create(sdk, body: dict, stream: bool, mode, turn: int, emit):
    """One request; SDK errors become a one-line ``AgentError``."""
    where = {
        "offline": "the local server",
        "online": "the OpenAI API",
    }.get(mode, "the server")
    try:
        if not stream:
            return sdk.responses.create(**body)
        with sdk.responses.stream(**body) as events:
            for event in events:
                if event.type == "response.output_text.delta":
                    emit(Event("text_delta", turn, text=event.delta))
            return events.get_final_response()
    except openai.APITimeoutError:
        raise AgentError(f"{where} did not answer in time") from None
    except openai.APIConnectionError as err:
        raise AgentError(
            f"cannot reach {where} ({_clean(str(err.__cause__ or err))})"
        ) from None
    except openai.APIStatusError as err:
        raise AgentError(
            f"{where} refused the request (HTTP {err.status_code}): "
            f"{_clean(_message(err))}"
        ) from None


def _message(err: openai.APIStatusError) -> str:
    body = err.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return str(err.message)


def _clean(text: str) -> str:
    """Drop keys and URLs from an error message."""
    key = os.environ.get("OPENAI_API_KEY", "").strip()
    if key:
        text = text.replace(key, "***")
    text = re.sub(r"sk-[A-Za-z0-9_\-*]{4,}", "sk-***", text)
    text = re.sub(r"https?://\S+", "<url>", text)
    return " ".join(text.split())


def _turn(index: int, response) -> Turn:
    items = [str(getattr(i, "type", "?")) for i in response.output]
    calls = [
        ToolCall(index, i.name, i.arguments, i.call_id)
        for i in response.output
        if getattr(i, "type", None) == "function_call"
    ]
    return Turn(
        index=index,
        model=str(getattr(response, "model", "")),
        status=getattr(response, "status", None),
        items=items,
        calls=calls,
        text=response.output_text,
        usage=_usage(getattr(response, "usage", None)),
    )


def _usage(usage) -> dict[str, int] | None:
    if usage is None:
        return None
    out = {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
    }
    details = getattr(usage, "output_tokens_details", None)
    reasoning = getattr(details, "reasoning_tokens", None)
    if reasoning is not None:
        out["reasoning_tokens"] = reasoning
    return {k: int(v) for k, v in out.items() if v is not None}


def _as_input(item) -> dict:
    """An output item as an input item (reasoning keeps its
    ``encrypted_content``; ``None`` fields are left out)."""
    return item.model_dump(mode="json", exclude_none=True)


def _json_object(text: str) -> dict | None:
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _short_args(arguments: str, width: int) -> str:
    """``context='A child is…', energy=softmax`` (nulls left out)."""
    args = _json_object(arguments)
    if args is None:
        return _cut(arguments, width)
    parts = []
    for key, value in args.items():
        if value is None:
            continue
        if isinstance(value, str):
            value = repr(_cut(value, width))
        elif isinstance(value, list):
            value = f"[{len(value)} items]"
        parts.append(f"{key}={value}")
    return ", ".join(parts)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "\u2026"
