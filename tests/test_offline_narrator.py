"""The narrator's policy and explanations, without HTTP."""

from __future__ import annotations

import json

from jepa_helpers.offline.arguments import fill_arguments, find_evaluations
from jepa_helpers.offline.explain import explain, fmt
from jepa_helpers.offline.narrator import plan
from test_offline_conformance import SCORE
from test_offline_sdk import RANK


def user(text: str) -> list[dict]:
    return [{"type": "message", "role": "user", "text": text}]


def test_key_value_lines_fill_the_schema_with_coercion():
    evals, opts = find_evaluations(
        "Context: a\nCandidate: b\nVerbose: yes\nTemperature: 0.5\n"
        "Top K: 7\nEnergy: SOFTMAX"
    )
    args = fill_arguments(
        SCORE["parameters"],
        {
            "context": evals[0].context,
            "candidate": evals[0].candidates[0],
            **opts,
        },
    )
    assert args == {
        "context": "a",
        "candidate": "b",
        "verbose": True,
        "energy": "softmax",
        "temperature": 0.5,
        "top_k": 7,
    }


def test_missing_values_null_default_then_zero():
    schema = {
        "type": "object",
        "properties": {
            "a": {"type": ["integer", "null"]},
            "b": {"type": "number", "default": 2.5},
            "c": {"type": "boolean"},
            "d": {"anyOf": [{"$ref": "#/$defs/E"}, {"type": "null"}]},
            "e": {"$ref": "#/$defs/E"},
        },
        "$defs": {"E": {"type": "string", "enum": ["x", "y"]}},
    }
    assert fill_arguments(schema, {"e": "Y", "c": "nonsense"}) == {
        "a": None,
        "b": 2.5,
        "c": False,
        "d": None,
        "e": "y",
    }


def test_json_pairs_give_parallel_calls():
    text = 'Score: {"pairs": [["a", "b"], ["c", "d"]]}'
    p = plan(user(text), [SCORE])
    assert [json.loads(c.arguments)["candidate"] for c in p.calls] == [
        "b",
        "d",
    ]


def test_named_tool_choice_is_respected():
    p = plan(
        user("Context: a\nCandidate: b"),
        [SCORE, RANK],
        {"type": "function", "name": "rank_candidates"},
    )
    assert [c.name for c in p.calls] == ["rank_candidates"]
    assert json.loads(p.calls[0].arguments)["candidates"] == ["b"]


def test_explanations_of_every_payload_kind():
    pairwise = {
        "energy": 1.0,
        "mean_pairwise_similarity": 0.0,
        "gpt_global_similarity": None,
        "top_contributors": [],
    }
    text = explain("t", "{}", json.dumps(pairwise))
    assert "E = 1.0000" in text and "unrelated" in text
    assert "No token pair" in text
    soft = {
        "energy": -0.4228740632534027,
        "energy_definition": "...",
        "token_pair_contributions_topk": [
            {
                "context_token": "red",
                "candidate_token": "red",
                "phi_cosine": 1.0000001,
                "weight": 0.0298,
                "contribution": 0.0298,
            }
        ],
    }
    text = explain("t", "{}", json.dumps(soft))
    assert "E = -0.4229" in text and "more negative" in text
    assert "(red, red) contribution 0.0298" in text
    err = {"error": {"type": "invalid_arguments", "message": "empty"}}
    assert "error (invalid_arguments): empty" in explain(
        "t", "{}", json.dumps(err)
    )
    assert "not a JSON object" in explain("t", "{}", "plain text")
    assert fmt(-0.00001) == "0.0000"


def test_plan_is_deterministic():
    a = plan(user("Context: a\nCandidate: b"), [SCORE])
    b = plan(user("Context: a\nCandidate: b"), [SCORE])
    assert a == b
