"""Tool schemas (strict, spec-valid, one source of truth) and dispatch."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import jsonschema
import pytest

from jepa_helpers import scoring, tools
from jepa_helpers.offline.explain import explain
from openapi_schemas import validate

PAIR = (
    "A child is playing with a red ball in the park.",
    "The kid happily throws the bright red ball across the playground.",
)
# Keywords OpenAI's strict mode documents (Structured Outputs, "Supported
# schemas"); maxLength is not among them, so the length bound stays out.
STRICT_KEYWORDS = {
    "type", "properties", "required", "additionalProperties", "items",
    "anyOf", "enum", "description", "title", "$defs", "$ref", "const",
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "multipleOf", "minItems", "maxItems", "pattern", "format",
}  # fmt: skip


@pytest.fixture(scope="module", autouse=True)
def offline_scorer():
    """The tools' shared scorer, offline (MiniLM), as ``score`` builds it."""
    old = os.environ.get("JEPA_OFFLINE")
    os.environ["JEPA_OFFLINE"] = "1"
    tools.set_scorer(None)
    yield tools.get_scorer("offline")
    tools.set_scorer(None)
    if old is None:
        os.environ.pop("JEPA_OFFLINE", None)
    else:
        os.environ["JEPA_OFFLINE"] = old


def _objects(node):
    if isinstance(node, dict):
        if node.get("type") == "object":
            yield node
        for v in node.values():
            yield from _objects(v)
    elif isinstance(node, list):
        for v in node:
            yield from _objects(v)


def _keywords(node, out):
    if isinstance(node, dict):
        for k, v in node.items():
            out.add(k)
            if k == "properties":
                for sub in v.values():
                    _keywords(sub, out)
            elif k not in ("enum", "required", "description", "title"):
                _keywords(v, out)
    elif isinstance(node, list):
        for v in node:
            _keywords(v, out)
    return out


@pytest.mark.parametrize(
    "schema", tools.tool_schemas(), ids=lambda s: s["name"]
)
def test_schema_is_a_spec_function_tool(schema):
    validate("FunctionTool", schema)
    assert set(schema) == {
        "type",
        "name",
        "description",
        "parameters",
        "strict",
    }
    assert schema["strict"] is True and schema["type"] == "function"


@pytest.mark.parametrize(
    "schema", tools.tool_schemas(), ids=lambda s: s["name"]
)
def test_schema_is_strict(schema):
    objs = list(_objects(schema["parameters"]))
    assert objs
    for obj in objs:
        assert obj["additionalProperties"] is False
        assert sorted(obj["required"]) == sorted(obj["properties"])
    assert _keywords(schema["parameters"], set()) <= STRICT_KEYWORDS


def test_seed_parameters_and_nullable_options():
    props = tools.TOOLS["evaluate_joint_embedding_energy"].schema()[
        "parameters"
    ]["properties"]
    assert props["context"]["type"] == "string"
    assert props["candidate"]["type"] == "string"
    assert props["verbose"]["type"] == "boolean"
    for name in ("energy", "temperature", "top_k", "alpha"):
        assert {"type": "null"} in props[name]["anyOf"], name


def test_energy_enum_follows_the_registry(monkeypatch):
    def enum(schema):
        anyof = schema["parameters"]["properties"]["energy"]["anyOf"]
        return next(a["enum"] for a in anyof if "enum" in a)

    for schema in tools.tool_schemas():
        assert enum(schema) == list(scoring.ENERGIES)
    monkeypatch.setitem(scoring.ENERGIES, "shaped_test", ("glove",))
    for schema in tools.tool_schemas():
        assert "shaped_test" in enum(schema)
    args = tools.EnergyArguments.model_validate(
        {"context": "a", "candidate": "b", "verbose": False}
        | {"energy": "shaped_test"}
    )
    assert args.energy == "shaped_test"


CASES = [
    ({"context": "a", "candidate": "b", "verbose": True}, True),
    (
        {
            "context": "a",
            "candidate": "b",
            "verbose": False,
            "energy": None,
            "temperature": 0.7,
            "top_k": 3,
            "alpha": None,
        },
        True,
    ),
    ({"context": "a", "candidate": "b", "verbose": True, "x": 1}, False),
    ({"context": "a", "verbose": True}, False),
    ({"context": "a", "candidate": 3, "verbose": True}, False),
    ({"context": "a", "candidate": "b", "verbose": "yes"}, False),
    ({"context": "a", "candidate": "b", "verbose": 1, "energy": "x"}, False),
    ({"context": "a", "candidate": "b", "verbose": 1, "top_k": -1}, False),
    ({"context": "a", "candidate": "b", "verbose": 1, "alpha": 2}, False),
    (
        {"context": "a", "candidate": "b", "verbose": 1, "temperature": 0},
        False,
    ),
]


@pytest.mark.parametrize("args,ok", CASES)
def test_json_schema_and_pydantic_agree(args, ok):
    """The schema the model sees and the validation dispatch runs accept
    the same arguments (nullable options may be left out by pydantic)."""
    schema = tools.TOOLS["evaluate_joint_embedding_energy"].schema()
    full = {"energy": None, "temperature": None, "top_k": None}
    full |= {"alpha": None} | args
    v = jsonschema.Draft202012Validator(schema["parameters"])
    assert v.is_valid(full) is ok
    payload = tools.call_tool(
        "evaluate_joint_embedding_energy", json.dumps(full)
    )
    assert ("error" not in payload) is ok, payload


def _cli_score(energy: str, *extra: str) -> dict:
    env = dict(os.environ, JEPA_OFFLINE="1", TQDM_DISABLE="1")
    env.pop("OPENAI_API_KEY", None)
    out = subprocess.run(
        [sys.executable, "-m", "jepa_helpers", "score", "--context"]
        + [PAIR[0], "--candidate", PAIR[1], "--energy", energy, *extra],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    return json.loads(out.stdout)


@pytest.mark.parametrize("energy", list(scoring.ENERGIES))
def test_tool_result_equals_score_command(energy):
    args = {
        "context": PAIR[0],
        "candidate": PAIR[1],
        "verbose": True,
        "energy": energy,
        "temperature": None,
        "top_k": None,
        "alpha": None,
    }
    result = json.loads(
        tools.dispatch("evaluate_joint_embedding_energy", json.dumps(args))
    )
    assert result == _cli_score(energy, "--verbose")


def test_options_reach_the_scorer(offline_scorer):
    args = {
        "context": PAIR[0],
        "candidate": PAIR[1],
        "verbose": False,
        "energy": "softmax",
        "temperature": 0.1,
        "top_k": 2,
        "alpha": None,
    }
    got = tools.call_tool("evaluate_joint_embedding_energy", json.dumps(args))
    want = offline_scorer.score(*PAIR, energy="softmax", tau=0.1, top_k=2)
    assert got == want and len(got["token_pair_contributions_topk"]) == 2


def test_rank_candidates_is_scorer_rank(offline_scorer):
    cands = [PAIR[1], "Stock markets fell sharply today.", "A kid plays."]
    args = {
        "context": PAIR[0],
        "candidates": cands,
        "energy": "joint",
        "temperature": None,
        "alpha": 0.3,
    }
    got = json.loads(tools.dispatch("rank_candidates", json.dumps(args)))
    assert got == offline_scorer.rank(PAIR[0], cands, "joint", alpha=0.3)
    energies = [r["energy"] for r in got["ranking"]]
    assert energies == sorted(energies)


def _error(name: str, arguments: str, registry=None) -> dict:
    out = tools.dispatch(name, arguments, registry)
    err = json.loads(out)["error"]
    assert set(err) == {"type", "message", "tool"} and err["tool"] == name
    return err


def test_unknown_tool():
    err = _error("get_weather", "{}")
    assert err["type"] == "unknown_tool"
    assert "rank_candidates" in err["message"]


@pytest.mark.parametrize("raw", ["{bad", "", "null", "[1, 2]", '"x"'])
def test_arguments_that_are_not_an_object(raw):
    err = _error("rank_candidates", raw)
    assert err["type"] in ("invalid_json", "invalid_arguments")


def test_bounds_are_enforced():
    long = "a" * (tools.MAX_TEXT_CHARS + 1)
    args = {"context": long, "candidate": "b", "verbose": False}
    err = _error("evaluate_joint_embedding_energy", json.dumps(args))
    assert err["type"] == "invalid_arguments"
    assert "context" in err["message"] and "too long" in err["message"]
    many = {
        "context": "a",
        "candidates": ["b"] * (tools.MAX_CANDIDATES + 1),
        "energy": None,
        "temperature": None,
        "alpha": None,
    }
    err = _error("rank_candidates", json.dumps(many))
    assert "candidates" in err["message"]
    empty = dict(many, candidates=[])
    assert _error("rank_candidates", json.dumps(empty))["type"] == (
        "invalid_arguments"
    )


def test_a_failing_tool_is_an_error_payload():
    def boom(args):
        raise RuntimeError("the encoder is on fire")

    registry = {
        "evaluate_joint_embedding_energy": tools.Tool(
            "evaluate_joint_embedding_energy",
            "fails",
            tools.EnergyArguments,
            boom,
        )
    }
    args = json.dumps({"context": "a", "candidate": "b", "verbose": False})
    err = _error("evaluate_joint_embedding_energy", args, registry)
    assert err == {
        "type": "tool_error",
        "message": "RuntimeError: the encoder is on fire",
        "tool": "evaluate_joint_embedding_energy",
    }


def test_a_broken_scorer_never_raises(offline_scorer):
    tools.set_scorer(object())  # type: ignore[arg-type]
    try:
        args = json.dumps({"context": "a", "candidate": "b", "verbose": 0})
        assert _error("evaluate_joint_embedding_energy", args)["type"] == (
            "invalid_arguments"  # strict: 0 is not a boolean
        )
        args = json.dumps({"context": "a", "candidate": "b", "verbose": True})
        err = _error("evaluate_joint_embedding_energy", args)
        assert err["type"] == "tool_error"
    finally:
        tools.set_scorer(offline_scorer)


def test_the_narrator_explains_the_error_shape():
    out = tools.dispatch("rank_candidates", "{bad")
    text = explain("rank_candidates", "{bad", out)
    assert "The tool reported an error (invalid_json)" in text
