"""The energy scorer as function tools GPT-5.1 can call (Responses API).

One source of truth: each tool's arguments are a pydantic model. From it
come both the strict JSON schema the model sees (through the SDK's own
``openai.pydantic_responses_function_tool``: every property required,
``additionalProperties: false``, nullable options as ``anyOf [..., null]``)
and the validation of the arguments the model sends back.

Two tools:

- ``evaluate_joint_embedding_energy``: the seed's tool (``context``,
  ``candidate``, ``verbose``) plus the energy and its settings (``energy``,
  ``temperature`` = tau, ``top_k``, ``alpha``), each nullable (null = the
  scorer's default). Its result is ``Scorer.score(...)``, the very JSON
  ``python -m jepa_helpers score`` prints for the same pair.
- ``rank_candidates``: one context, 1..``MAX_CANDIDATES`` candidates,
  ordered by energy, lowest first (``Scorer.rank``): the EBM inference
  step ``y* = argmin_y E(x, y)``.

The ``energy`` enum is read from ``scoring.ENERGIES`` each time a schema
is built, so a new energy registered there reaches the model without an
edit here. Bounds: each text at most ``MAX_TEXT_CHARS`` characters (kept
out of the JSON schema because strict mode does not accept ``maxLength``;
said in the description and checked on every call).

``dispatch(name, arguments_json) -> str`` never raises: an unknown tool,
JSON that does not parse, arguments that break the schema and any failure
inside the tool all come back as ``{"error": {"type", "message", "tool"}}``
so the model can read the problem and act on it.

Introduced in 05_tool_schemas.
"""

from __future__ import annotations

import inspect
import json
import threading
from dataclasses import dataclass
from typing import Annotated, Any, Callable, Mapping

import openai
import pydantic
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from . import scoring

#: Longest context or candidate accepted, in characters.
MAX_TEXT_CHARS = 20_000
#: Most candidates ``rank_candidates`` accepts in one call.
MAX_CANDIDATES = 32
#: Largest ``top_k`` (token pairs listed in a result).
MAX_TOP_K = 100

# ------------------------------------------------------------ field types


def _bounded(text: str) -> str:
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(
            f"text too long: {len(text):,} characters, the limit is "
            f"{MAX_TEXT_CHARS:,}"
        )
    return text


def _known_energy(name: str) -> str:
    return scoring.check_energy(name)


class _EnergyEnum:
    """JSON schema of an energy name: the enum of ``scoring.ENERGIES``,
    read when the schema is generated (not when this module is imported).
    """

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema, handler):
        return {"type": "string", "enum": list(scoring.ENERGIES)}


BoundedText = Annotated[str, AfterValidator(_bounded)]
EnergyName = Annotated[str, AfterValidator(_known_energy), _EnergyEnum]

_TEXT = f"at most {MAX_TEXT_CHARS:,} characters"
#: The scorer's defaults, which a null option stands for.
DEFAULTS = {
    name: (
        "the energy's own default (0.5 for the seed's energies)"
        if p.default is None
        else p.default
    )
    for name, p in inspect.signature(scoring.Scorer.score).parameters.items()
    if p.default is not inspect.Parameter.empty
}


def _plain_parameters(schema: dict[str, Any]) -> None:
    """Keep the class docstring and title out of the tool's parameters
    (the tool's own description tells the model what it does)."""
    schema.pop("description", None)
    schema.pop("title", None)


class _Arguments(BaseModel):
    """Strict arguments: unknown keys and type coercions are errors."""

    model_config = ConfigDict(
        extra="forbid", strict=True, json_schema_extra=_plain_parameters
    )


class EnergyArguments(_Arguments):
    """Arguments of ``evaluate_joint_embedding_energy``.

    Introduced in 05_tool_schemas.
    """

    context: BoundedText = Field(description=f"The context text x ({_TEXT}).")
    candidate: BoundedText = Field(
        description=f"The candidate text y to score against the context "
        f"({_TEXT})."
    )
    verbose: bool = Field(
        description="Also return the vector norms of both views."
    )
    energy: EnergyName | None = Field(
        None,
        description="Which energy E(x, y) to compute (lower = more "
        f"compatible); null = {DEFAULTS['energy']}.",
    )
    temperature: float | None = Field(
        None,
        gt=0,
        description="Softmax temperature tau (> 0) of the softmax energy; "
        f"null = {DEFAULTS['tau']}.",
    )
    top_k: int | None = Field(
        None,
        ge=0,
        le=MAX_TOP_K,
        description="How many top token pairs to list; "
        f"null = {DEFAULTS['top_k']}.",
    )
    alpha: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Weight of the GloVe view in the joint energy, in "
        f"[0, 1]; null = {DEFAULTS['alpha']}.",
    )


class RankArguments(_Arguments):
    """Arguments of ``rank_candidates``.

    Introduced in 05_tool_schemas.
    """

    context: BoundedText = Field(description=f"The context text x ({_TEXT}).")
    candidates: list[BoundedText] = Field(
        min_length=1,
        max_length=MAX_CANDIDATES,
        description=f"1 to {MAX_CANDIDATES} candidate texts to rank "
        f"(each {_TEXT}).",
    )
    energy: EnergyName | None = Field(
        None,
        description=f"Which energy to rank by; null = {DEFAULTS['energy']}.",
    )
    temperature: float | None = Field(
        None,
        gt=0,
        description=f"Softmax temperature tau; null = {DEFAULTS['tau']}.",
    )
    alpha: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Weight of the GloVe view in the joint energy; "
        f"null = {DEFAULTS['alpha']}.",
    )


# ------------------------------------------------------- the shared scorer

_scorer: scoring.Scorer | None = None
_scorer_lock = threading.Lock()


def get_scorer(mode: str = "auto") -> scoring.Scorer:
    """The process-wide scorer the tools use, built on first use.

    ``Scorer(load_glove(), default_encoder(mode))``: the same parts as
    ``python -m jepa_helpers score`` with its defaults, so a tool result
    equals what the command prints for the same pair.

    Introduced in 05_tool_schemas.
    """
    global _scorer
    with _scorer_lock:
        if _scorer is None:
            from .encoders import default_encoder
            from .glove import load_glove

            _scorer = scoring.Scorer(load_glove(), default_encoder(mode))
        return _scorer


def set_scorer(scorer: scoring.Scorer | None) -> None:
    """Use ``scorer`` for every tool call (``None``: build lazily again).

    Introduced in 05_tool_schemas.
    """
    global _scorer
    with _scorer_lock:
        _scorer = scorer


def scorer_loaded() -> bool:
    """True once the shared scorer exists (GloVe loaded)."""
    return _scorer is not None


# ------------------------------------------------------------- the tools


def _options(args: BaseModel, names: tuple[str, ...]) -> dict[str, Any]:
    """Non-null options, renamed to the scorer's keywords."""
    rename = {"temperature": "tau"}
    return {
        rename.get(n, n): getattr(args, n)
        for n in names
        if getattr(args, n) is not None
    }


def evaluate_joint_embedding_energy(args: EnergyArguments) -> dict:
    """E(x, y) for one pair: ``Scorer.score`` (the seed's tool result).

    Introduced in 05_tool_schemas.
    """
    opts = _options(args, ("energy", "temperature", "top_k", "alpha"))
    return get_scorer().score(
        args.context, args.candidate, verbose=args.verbose, **opts
    )


def rank_candidates(args: RankArguments) -> dict:
    """Candidates ordered by energy, lowest first: ``Scorer.rank``.

    Introduced in 05_tool_schemas.
    """
    opts = _options(args, ("energy", "temperature", "alpha"))
    return get_scorer().rank(args.context, list(args.candidates), **opts)


@dataclass(frozen=True)
class Tool:
    """A function tool: its name, what it does, its arguments, its code.

    ``schema()`` is the flat Responses ``FunctionTool`` (built from
    ``arguments`` now, so it sees the energies registered now).

    Introduced in 05_tool_schemas.
    """

    name: str
    description: str
    arguments: type[BaseModel]
    run: Callable[[Any], Any]

    def schema(self) -> dict[str, Any]:
        """``{"type": "function", "name", "description", "parameters",
        "strict": true}`` as a plain dict."""
        tool = openai.pydantic_responses_function_tool(
            self.arguments, name=self.name, description=self.description
        )
        return json.loads(json.dumps(dict(tool)))


TOOLS: dict[str, Tool] = {
    t.name: t
    for t in (
        Tool(
            "evaluate_joint_embedding_energy",
            "Energy E(x, y) of a context x and a candidate y under the "
            "toy JEPA + energy-based model (GloVe token vectors and a "
            "sentence embedding). Lower energy means more compatible. "
            "Returns the energy, the cosines of the views, the tokens and "
            "the top token pairs.",
            EnergyArguments,
            evaluate_joint_embedding_energy,
        ),
        Tool(
            "rank_candidates",
            "Rank candidate texts for one context by energy, lowest "
            "(most compatible) first: y* = argmin_y E(x, y). Returns each "
            "candidate with its energy and rank.",
            RankArguments,
            rank_candidates,
        ),
    )
}


def tool_schemas(tools: Mapping[str, Tool] | None = None) -> list[dict]:
    """The schemas to send as ``tools=`` (default: every tool in TOOLS).

    Introduced in 05_tool_schemas.
    """
    return [t.schema() for t in (TOOLS if tools is None else tools).values()]


# -------------------------------------------------------------- dispatch


def error_payload(kind: str, message: str, tool: str | None) -> dict:
    """``{"error": {"type", "message", "tool"}}``: what a failed call
    returns to the model (the offline narrator explains this shape)."""
    return {"error": {"type": kind, "message": message, "tool": tool}}


def _describe(err: pydantic.ValidationError) -> str:
    parts = []
    for e in err.errors(include_url=False):
        where = ".".join(str(p) for p in e["loc"]) or "arguments"
        msg = e["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {msg}")
    return "; ".join(parts)


def call_tool(
    name: str, arguments_json: str, tools: Mapping[str, Tool] | None = None
) -> dict:
    """Run one tool call and return its payload dict; never raises.

    Errors: ``unknown_tool``, ``invalid_json``, ``invalid_arguments``
    (schema or bounds broken), ``tool_error`` (the tool itself failed).

    Introduced in 05_tool_schemas.
    """
    registry = TOOLS if tools is None else tools
    tool = registry.get(name)
    if tool is None:
        return error_payload(
            "unknown_tool",
            f"no tool named {name!r}; available: {sorted(registry)}",
            name,
        )
    try:
        raw = json.loads(arguments_json or "")
    except (TypeError, ValueError) as err:
        return error_payload(
            "invalid_json", f"arguments are not valid JSON ({err})", name
        )
    if not isinstance(raw, dict):
        return error_payload(
            "invalid_arguments",
            f"arguments must be a JSON object, got {type(raw).__name__}",
            name,
        )
    try:
        args = tool.arguments.model_validate(raw)
    except pydantic.ValidationError as err:
        return error_payload("invalid_arguments", _describe(err), name)
    try:
        payload = tool.run(args)
        json.dumps(payload, allow_nan=False)
    except Exception as err:  # the model must hear about any failure
        return error_payload(
            "tool_error", f"{type(err).__name__}: {err}", name
        )
    return payload


def dispatch(
    name: str, arguments_json: str, tools: Mapping[str, Tool] | None = None
) -> str:
    """Run one tool call; return its result as a JSON string. Never raises.

    The string is what goes back to the model as ``function_call_output``.

    Introduced in 05_tool_schemas.
    """
    return json.dumps(call_tool(name, arguments_json, tools))
