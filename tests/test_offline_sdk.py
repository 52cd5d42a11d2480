"""The unmodified openai SDK against the offline server (loopback)."""

from __future__ import annotations

import json

import numpy as np
import openai
import pydantic
import pytest
from openai.types.responses import Response

from jepa_helpers.offline import OfflineServer, shared_server
from test_offline_conformance import PROMPT, SCORE, _encoder_ok

RANK = {
    "type": "function",
    "name": "rank_candidates",
    "strict": True,
    "parameters": {
        "type": "object",
        "properties": {
            "context": {"type": "string"},
            "candidates": {"type": "array", "items": {"type": "string"}},
            "energy": {
                "type": ["string", "null"],
                "enum": ["joint", "pairwise", "softmax", None],
            },
        },
        "required": ["context", "candidates", "energy"],
        "additionalProperties": False,
    },
}
RESULT = json.dumps(
    {
        "energy": 0.22207340265195397,
        "joint_cosine_similarity": 0.777926597348046,
        "glove_cosine_similarity": 0.8459956381284257,
        "gpt_cosine_similarity": 0.7098574745479543,
    }
)


@pytest.fixture(scope="module")
def client():
    with OfflineServer() as srv:
        yield openai.OpenAI(
            base_url=srv.base_url, api_key="offline", max_retries=0, timeout=10
        )


def _outputs(resp: Response, payload: str = RESULT) -> list[dict]:
    return [
        {
            "type": "function_call_output",
            "call_id": o.call_id,
            "output": payload,
        }
        for o in resp.output
        if o.type == "function_call"
    ]


def test_create_then_previous_response_id(client):
    r1 = client.responses.create(model="gpt-5.1", input=PROMPT, tools=[SCORE])
    calls = [o for o in r1.output if o.type == "function_call"]
    assert [o.type for o in r1.output][0] == "reasoning"
    assert len(calls) == 1 and calls[0].name == SCORE["name"]
    r2 = client.responses.create(
        model="gpt-5.1",
        input=_outputs(r1),
        previous_response_id=r1.id,
        tools=[SCORE],
    )
    text = r2.output_text
    assert "E = 0.2221" in text and "0.7779" in text
    assert "not a language model" in text


def test_stateless_round_trip_with_reasoning_items(client):
    first = [{"role": "user", "content": PROMPT}]
    r1 = client.responses.create(
        model="m",
        input=first,
        tools=[SCORE],
        store=False,
        include=["reasoning.encrypted_content"],
    )
    r2 = client.responses.create(
        model="m",
        store=False,
        tools=[SCORE],
        input=first
        + [o.model_dump(exclude_none=True) for o in r1.output]
        + _outputs(r1),
    )
    assert "E = 0.2221" in r2.output_text
    # the same call without its reasoning item: the real API's 400
    fc = [
        o.model_dump(exclude_none=True)
        for o in r1.output
        if o.type == "function_call"
    ]
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.create(
            model="m", input=first + fc + _outputs(r1), store=False
        )
    assert info.value.body["message"] == (
        f"Item '{fc[0]['id']}' of type 'function_call' was provided "
        f"without its required 'reasoning' item: '{r1.output[0].id}'."
    )


def test_parallel_calls_and_ranking(client):
    two = (
        "Context: a cat sleeps\nCandidate: a kitten naps\n"
        "Context: a dog barks\nCandidate: stocks fell\nEnergy: joint"
    )
    r = client.responses.create(model="m", input=two, tools=[SCORE, RANK])
    calls = [o for o in r.output if o.type == "function_call"]
    assert [json.loads(c.arguments)["context"] for c in calls] == [
        "a cat sleeps",
        "a dog barks",
    ]
    r = client.responses.create(
        model="m", input=two, tools=[SCORE], parallel_tool_calls=False
    )
    assert sum(o.type == "function_call" for o in r.output) == 1
    many = "Context: a cat sleeps\nCandidates: a kitten naps | stocks fell"
    r = client.responses.create(model="m", input=many, tools=[SCORE, RANK])
    calls = [o for o in r.output if o.type == "function_call"]
    assert len(calls) == 1 and calls[0].name == "rank_candidates"
    assert json.loads(calls[0].arguments)["candidates"] == [
        "a kitten naps",
        "stocks fell",
    ]


def test_tool_choice_none_and_no_tool(client):
    r = client.responses.create(
        model="m", input=PROMPT, tools=[SCORE], tool_choice="none"
    )
    assert all(o.type != "function_call" for o in r.output)
    assert "tool_choice is 'none'" in r.output_text
    r = client.responses.create(model="m", input=PROMPT)
    assert "No tool fits" in r.output_text


def test_determinism_ids_aside(client):
    def strip(resp: Response) -> list:
        out = []
        for o in resp.output:
            d = o.model_dump(exclude_none=True)
            for k in ("id", "call_id"):
                d.pop(k, None)
            out.append(d)
        return out

    a = client.responses.create(model="m", input=PROMPT, tools=[SCORE])
    b = client.responses.create(model="m", input=PROMPT, tools=[SCORE])
    assert strip(a) == strip(b) and a.id != b.id


def test_stream_create_and_stream_helper(client):
    kinds = [
        e.type
        for e in client.responses.create(
            model="m", input=PROMPT, tools=[SCORE], stream=True
        )
    ]
    assert kinds[0] == "response.created"
    assert kinds[-1] == "response.completed"
    with client.responses.stream(
        model="m", input=PROMPT, tools=[SCORE]
    ) as stream:
        for _ in stream:
            pass
        final = stream.get_final_response()
    call = [o for o in final.output if o.type == "function_call"][0]
    assert json.loads(call.arguments)["energy"] == "softmax"
    with client.responses.stream(
        model="m",
        previous_response_id=final.id,
        tools=[SCORE],
        input=_outputs(final),
    ) as stream:
        text = "".join(
            e.delta for e in stream if e.type == "response.output_text.delta"
        )
        final2 = stream.get_final_response()
    assert text == final2.output_text and "E = 0.2221" in text


class Score(pydantic.BaseModel):
    """Energy of a context/candidate pair."""

    context: str
    candidate: str
    temperature: float | None


@pytest.mark.parametrize(
    "helper", ["pydantic_function_tool", "pydantic_responses_function_tool"]
)
def test_parse_with_pydantic_tool(client, helper):
    tool = getattr(openai, helper)(Score, name="score_pair")
    r = client.responses.parse(
        model="m",
        tools=[tool],
        input="Context: a red ball\nCandidate: a crimson ball\n"
        "Temperature: 0.25",
    )
    call = [o for o in r.output if o.type == "function_call"][0]
    assert call.parsed_arguments == Score(
        context="a red ball", candidate="a crimson ball", temperature=0.25
    )


@pytest.mark.skipif(not _encoder_ok(), reason="MiniLM encoder not built")
def test_embeddings_both_encodings(client):
    texts = ["a child plays", "a kid plays"]
    default = client.embeddings.create(
        model="text-embedding-3-small", input=texts
    )  # SDK asks base64
    floats = client.embeddings.create(
        model="text-embedding-3-small", input=texts, encoding_format="float"
    )
    a = np.array([d.embedding for d in default.data])
    b = np.array([d.embedding for d in floats.data])
    assert a.shape == (2, 384) and np.allclose(a, b, atol=1e-6)
    assert default.model == floats.model != "text-embedding-3-small"
    small = client.embeddings.create(model="x", input="hi", dimensions=32)
    assert len(small.data[0].embedding) == 32
    with pytest.raises(openai.BadRequestError):
        client.embeddings.create(model="x", input="hi", dimensions=0)


ERR = [
    (
        openai.BadRequestError,
        dict(model="m", input="x", previous_response_id="resp_nope"),
        "Previous response with id 'resp_nope' not found.",
    ),
    (
        openai.BadRequestError,
        dict(
            model="m",
            input=[
                {
                    "type": "function_call",
                    "call_id": "call_1",
                    "name": "f",
                    "arguments": "{}",
                }
            ],
        ),
        "No tool output found for function call call_1.",
    ),
    (
        openai.BadRequestError,
        dict(
            model="m",
            input=[
                {
                    "type": "function_call_output",
                    "call_id": "call_2",
                    "output": "{}",
                }
            ],
        ),
        "No tool call found for function call output with call_id call_2.",
    ),
    (
        openai.NotFoundError,
        dict(
            model="m",
            input=[
                {"type": "reasoning", "id": "rs_x", "summary": []},
                {"role": "user", "content": "hi"},
            ],
        ),
        "Item with id 'rs_x' not found. Items are not persisted when `store` "
        "is set to false. Try again with `store` set to true, or remove this "
        "item from your input.",
    ),
]


@pytest.mark.parametrize("exc,kwargs,message", ERR)
def test_sdk_error_paths(client, exc, kwargs, message):
    with pytest.raises(exc) as info:
        client.responses.create(**kwargs)
    assert info.value.body["message"] == message


def test_sdk_other_errors(client):
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-9")
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.create(
            model="m",
            input="x",
            tool_choice={"type": "function", "name": "missing"},
        )
    assert info.value.code is None
    with pytest.raises(openai.BadRequestError) as info:
        client.embeddings.create(model="m", input="")
    assert info.value.param == "input"
    assert client.responses.retrieve(
        client.responses.create(model="m", input="x").id
    ).status == ("completed")


def test_shared_server_is_started_once():
    a, b = shared_server(), shared_server()
    assert a is b and a.running
    assert a.base_url.startswith("http://127.0.0.1:")
