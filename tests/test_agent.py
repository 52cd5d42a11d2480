"""The agent loop through the real SDK: the local narrator server, a
scripted endpoint for misbehaving models, recorded API responses."""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

import openai
import pytest

from jepa_helpers import scoring, tools
from jepa_helpers.agent import AgentError, build_prompt, run_agent
from jepa_helpers.client import Client, make_client
from jepa_helpers.offline import OfflineServer
from jepa_helpers.offline.explain import fmt
from openapi_schemas import validate
from scripted_responses_server import (
    ScriptedServer,
    function_call,
    message,
    reasoning,
    response,
)

PAIR = (
    "A child is playing with a red ball in the park.",
    "The kid happily throws the bright red ball across the playground.",
)
ENERGY_TOOL = "evaluate_joint_embedding_energy"
RECORDED = json.loads(
    (
        Path(__file__).parent
        / "fixtures"
        / "responses_cookbook_reasoning.json"
    ).read_text(encoding="utf-8")
)


@pytest.fixture(scope="module")
def scorer():
    tools.set_scorer(None)
    old = os.environ.get("JEPA_OFFLINE")
    os.environ["JEPA_OFFLINE"] = "1"
    yield tools.get_scorer("offline")
    if old is None:
        os.environ.pop("JEPA_OFFLINE", None)
    else:
        os.environ["JEPA_OFFLINE"] = old


@pytest.fixture(scope="module")
def client(scorer):
    with OfflineServer() as srv:
        sdk = openai.OpenAI(
            base_url=srv.base_url, api_key="offline", max_retries=0, timeout=20
        )
        yield Client(sdk, "offline")
        sdk.close()


def scripted(srv: ScriptedServer) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=srv.base_url, api_key="test", max_retries=0, timeout=10
    )


# ------------------------------------------------ against the narrator


@pytest.mark.parametrize(
    "stateless", [False, True], ids=["prev_id", "stateless"]
)
@pytest.mark.parametrize("energy", list(scoring.ENERGIES))
def test_whole_loop_for_every_energy(client, scorer, energy, stateless):
    events = []
    prompt = build_prompt(*PAIR, energy=energy, verbose=True)
    t = run_agent(client, prompt, stateless=stateless, on_event=events.append)
    assert t.stop_reason == "answered" and len(t.turns) == 2
    assert t.turns[0].items[0] == "reasoning"  # the call is not output[0]
    [call] = t.tool_calls
    assert call.name == ENERGY_TOOL and call.args["energy"] == energy
    want = scorer.score(*PAIR, energy=energy, verbose=True)
    assert call.result == want
    assert f"E = {fmt(want['energy'])}" in t.final_text
    kinds = [e.kind for e in events]
    assert kinds == ["response", "tool_call", "tool_result", "response"] + [
        "answer"
    ]
    assert t.usage["total_tokens"] > 0
    assert t.model == "offline-scripted-narrator"


def test_two_parallel_calls_run_in_order(client, scorer):
    other = ("Stock markets fell sharply today.", "It rained all day.")
    prompt = build_prompt(*PAIR) + "\n\n" + build_prompt(*other)
    t = run_agent(client, prompt)
    assert t.stop_reason == "answered"
    assert [len(turn.calls) for turn in t.turns] == [2, 0]
    first, second = t.tool_calls
    assert (first.args["context"], second.args["context"]) == (
        PAIR[0],
        other[0],
    )
    assert first.call_id != second.call_id
    assert second.result == scorer.score(*other)
    assert "Result 1 of 2" in t.final_text and "Result 2 of 2" in t.final_text


def test_ranking(client, scorer):
    cands = [PAIR[1], "Stock markets fell sharply today."]
    t = run_agent(client, build_prompt(PAIR[0], cands))
    [call] = t.tool_calls
    assert call.name == "rank_candidates"
    assert call.result == scorer.rank(PAIR[0], cands)
    assert call.energy == call.result["ranking"][0]["energy"]


def test_a_failing_tool_reaches_the_model(client):
    def boom(args):
        raise RuntimeError("the encoder is on fire")

    registry = {
        ENERGY_TOOL: tools.Tool(
            ENERGY_TOOL, "fails", tools.EnergyArguments, boom
        )
    }
    t = run_agent(client, build_prompt(*PAIR), tools=registry)
    assert t.stop_reason == "answered"
    assert t.tool_calls[0].error == "tool_error"
    assert "The tool reported an error (tool_error)" in t.final_text
    assert t.to_rows()[0]["energy"] == "error: tool_error"


def test_streaming_reports_the_text(client):
    deltas = []
    t = run_agent(
        client,
        build_prompt(*PAIR, energy="pairwise"),
        stream=True,
        on_event=lambda e: e.kind == "text_delta" and deltas.append(e.text),
    )
    assert t.stop_reason == "answered" and t.tool_calls
    assert "".join(deltas) == t.final_text != ""


def test_rows_are_compact_and_deterministic(client):
    t = run_agent(client, build_prompt(*PAIR, energy="softmax"))
    rows = t.to_rows()
    assert [r["step"] for r in rows] == ["tool call", "answer"]
    assert rows[0]["energy"] == f"{t.tool_calls[0].energy:.4f}"
    table = t.to_markdown()
    assert table.startswith("| turn | step | tool | arguments | energy |")
    assert "resp_" not in table and "call_" not in table
    assert t.summary().endswith("answered.")


# --------------------------------------- a scripted, misbehaving model


def test_arguments_that_break_the_schema():
    bad = '{"context": 1, "candidate": "b"}'
    replies = [
        response([reasoning(), function_call(ENERGY_TOOL, bad)]),
        response([message("sorry")]),
    ]
    with ScriptedServer(replies) as srv:
        t = run_agent(scripted(srv), "Context: a\nCandidate: b")
        second = srv.requests[1]
    [call] = t.tool_calls
    assert call.error == "invalid_arguments"
    [out] = second["input"]
    assert out["type"] == "function_call_output"
    assert out["call_id"] == call.call_id
    err = json.loads(out["output"])["error"]
    assert "context" in err["message"] and "candidate" not in err["message"]
    assert t.final_text == "sorry"


def test_an_unknown_tool_name():
    replies = [
        response([function_call("get_weather", "{}")]),
        response([message("ok")]),
    ]
    with ScriptedServer(replies) as srv:
        t = run_agent(scripted(srv), "hi")
    assert t.tool_calls[0].error == "unknown_tool"
    assert t.stop_reason == "answered"


def test_a_model_that_never_stops_calling_tools():
    args = json.dumps({"context": "a", "candidate": "b", "verbose": False})

    def forever(body, n):
        return response([reasoning(), function_call(ENERGY_TOOL, args)])

    events = []
    with ScriptedServer(forever) as srv:
        t = run_agent(
            scripted(srv),
            "Context: a\nCandidate: b",
            tools={},
            max_turns=3,
            on_event=events.append,
        )
        assert len(srv.requests) == 3
    assert t.stop_reason == "turn_limit" and len(t.turns) == 3
    assert [c.output is None for c in t.tool_calls] == [False, False, True]
    assert "Stopped after 3 turn(s)" in t.final_text
    assert events[-1].kind == "turn_limit"
    assert t.to_rows()[-1]["energy"] == "not run (turn limit)"
    assert "turn limit (3)" in t.summary()


def test_turn_cap_must_be_positive():
    with pytest.raises(ValueError, match="max_turns"):
        run_agent(openai.OpenAI(api_key="x"), "hi", max_turns=0)


# ------------------------------------------------ recorded API shapes


def weather_tool(seen):
    import pydantic

    class Coordinates(pydantic.BaseModel):
        latitude: float
        longitude: float

    def run(args):
        seen.append(args)
        return {"temperature_2m": 16.3}

    return {
        "get_weather": tools.Tool("get_weather", "Weather.", Coordinates, run)
    }


def test_recorded_call_after_reasoning_with_previous_response_id():
    fx = RECORDED["function_call_after_reasoning"]
    seen = []
    with ScriptedServer([fx, RECORDED["answer"]]) as srv:
        t = run_agent(
            scripted(srv), "Weather in Paris?", tools=weather_tool(seen)
        )
        first, second = srv.requests
    assert t.turns[0].items == ["reasoning", "function_call"]
    assert seen[0].latitude == 48.8566
    assert second["previous_response_id"] == fx["id"]
    assert second["input"] == [
        {
            "type": "function_call_output",
            "call_id": "call_9ylqPOZUyFEwhxvBwgpNDqPT",
            "output": '{"temperature_2m": 16.3}',
        }
    ]
    assert t.final_text.startswith("The current temperature in Paris")
    assert t.usage["reasoning_tokens"] == 256
    for body in (first, second):
        validate("CreateResponse", body)


def test_recorded_encrypted_reasoning_stateless():
    fx = RECORDED["encrypted_reasoning_call"]
    with ScriptedServer([fx, RECORDED["answer"]]) as srv:
        t = run_agent(
            scripted(srv),
            "Weather in Paris?",
            tools=weather_tool([]),
            stateless=True,
        )
        first, second = srv.requests
    assert first["store"] is False
    assert first["include"] == ["reasoning.encrypted_content"]
    assert "previous_response_id" not in second
    rs, call, out = second["input"][1:]
    assert second["input"][0] == {
        "role": "user",
        "content": "Weather in Paris?",
    }
    assert rs["type"] == "reasoning" and rs["id"] == fx["output"][0]["id"]
    assert rs["encrypted_content"] == fx["output"][0]["encrypted_content"]
    assert call["type"] == "function_call"
    assert call["call_id"] == out["call_id"] == "call_9ylqPOZUyFEwhxvBwgpNDqPT"
    assert out["type"] == "function_call_output"
    assert t.stop_reason == "answered"
    for body in (first, second):
        validate("CreateResponse", body)


# --------------------------------------------------- a server that is down


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_server_that_is_down():
    sdk = openai.OpenAI(
        base_url=f"http://127.0.0.1:{_free_port()}/v1",
        api_key="x",
        max_retries=0,
        timeout=2,
    )
    with pytest.raises(AgentError, match="cannot reach") as err:
        run_agent(Client(sdk, "offline"), "hi")
    assert "the local server" in str(err.value)
    assert "127.0.0.1" not in str(err.value) and "\n" not in str(err.value)


def test_a_server_that_never_answers():
    with socket.socket() as s:  # listens, never replies
        s.bind(("127.0.0.1", 0))
        s.listen()
        sdk = openai.OpenAI(
            base_url=f"http://127.0.0.1:{s.getsockname()[1]}/v1",
            api_key="x",
            max_retries=0,
            timeout=1,
        )
        start = time.monotonic()
        with pytest.raises(AgentError, match="did not answer in time"):
            run_agent(sdk, "hi")
        assert time.monotonic() - start < 30  # a bound, not a benchmark


def test_an_api_error_is_one_clean_line():
    with OfflineServer() as srv:
        sdk = openai.OpenAI(base_url=srv.base_url, api_key="x", max_retries=0)
        with pytest.raises(AgentError, match=r"HTTP 400") as err:
            run_agent(sdk, "hi", previous_response_id="resp_unknown")
        sdk.close()
    assert "\n" not in str(err.value)


# ----------------------------------------------------------- live API


@pytest.mark.live
@pytest.mark.skipif(
    not os.environ.get("OPENAI_API_KEY"), reason="needs OPENAI_API_KEY"
)
def test_live_gpt51_calls_the_tool_and_explains():
    tools.set_scorer(None)
    with make_client("online", timeout=120, max_retries=1) as live:
        t = run_agent(
            live, build_prompt(*PAIR, energy="softmax", verbose=True)
        )
    assert t.stop_reason == "answered"
    calls = [c for c in t.tool_calls if c.name == ENERGY_TOOL]
    assert calls and calls[0].error is None
    assert f"{calls[0].energy:.2f}" in t.final_text.replace("\u2212", "-")
