"""The tool loop's limits on money and servers: the allowance tool rounds spend from,
servers that refuse function calling, the text rung, and a grown request refused as too
long."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.model.ladder import ServerMemory
from bot.model.session import NO_TOOLS_NOTE
from bot.pricing import TICKS_PER_USD
from tests.fakes.openai_server import (
    LLAMA_SERVER_NO_JINJA,
    OLLAMA_NO_TOOLS,
    FakeModel,
    calls,
    error,
    exceeds_context,
    finding,
    findings,
    messages_of,
    tool_call,
)
from tests.model.helpers import make_settings
from tests.model.test_tool_loop import CHUNK, always_calls, options, review

# --- money -------------------------------------------------------------------------------


def test_no_allowance_left_means_no_tool_round(fake: FakeModel) -> None:
    fake.script(always_calls)
    (result,) = review(make_settings(fake), tools=options(allowance=0.0))
    assert [r["json"]["tool_choice"] for r in fake.requests] == ["none"]
    assert result.error is None and result.usage.tool_rounds == 0


def test_tool_rounds_never_spend_past_the_allowance(fake: FakeModel) -> None:
    settings = make_settings(fake, context_tokens=16_000, max_output_tokens=1_000)
    cost = 0.004  # each answer bills this much (xAI's ticks)

    def billed(request: dict[str, Any]) -> Any:
        reply = always_calls(request)
        return type(reply)(**{**reply.__dict__, "cost_ticks": int(cost * TICKS_PER_USD)})

    fake.script(billed)
    allowance = 0.05
    tools = options(rounds=10, allowance=allowance)
    (result,) = review(settings, tools=tools)
    extra = len(fake.requests) - 1  # the first request is the planned one
    assert result.error is None
    assert 1 <= result.usage.tool_rounds < 10  # the money, not the rounds, stopped it
    assert extra * cost <= allowance
    assert fake.requests[-1]["json"]["tool_choice"] == "none"
    assert tools.allowance.left == pytest.approx(allowance - extra * cost)


# --- servers without function calling ----------------------------------------------------


@pytest.mark.parametrize(
    "refusal", ["vllm", error(400, OLLAMA_NO_TOOLS), error(500, LLAMA_SERVER_NO_JINJA)]
)
def test_a_server_that_refuses_tools_gets_the_request_again_without_them(refusal: Any) -> None:
    with FakeModel(tools=refusal != "vllm") as fake:
        if refusal != "vllm":
            fake.queue([refusal])
        fake.script(lambda r: findings([finding(path="src/use.py", line=3)]))
        chunks = [CHUNK, CHUNK.replace("of the diff", "of the diff, again")]
        results = review(make_settings(fake, concurrency=1), chunks, tools=options())
    assert all(r.error is None and len(r.findings) == 1 for r in results)
    # Refused once, sent again without tools; the next chunk never offers them.
    assert ["tools" in r["json"] for r in fake.requests] == [True, False, False]
    assert messages_of(fake.requests[1]) == messages_of(fake.requests[0])
    assert sum(r.usage.failed_requests for r in results) == 1
    assert all(NO_TOOLS_NOTE in r.notes for r in results)


def test_the_refusal_is_remembered_for_the_server_across_runs() -> None:
    servers = ServerMemory()
    with FakeModel(tools=False) as fake:
        review(make_settings(fake), tools=options(), servers=servers)
        before = len(fake.requests)
        (again,) = review(make_settings(fake), tools=options(), servers=servers)
        assert ["tools" in r["json"] for r in fake.requests[before:]] == [False]
        assert again.error is None and NO_TOOLS_NOTE in again.notes


def test_text_mode_keeps_the_schema_in_the_same_system_message_every_round() -> None:
    with FakeModel(formats=("text",)) as fake:
        fake.queue(
            [
                calls(tool_call("list_files", {})),
                findings([finding(path="src/use.py", line=3)]),
            ]
        )
        (result,) = review(make_settings(fake), tools=options())
    assert result.error is None
    answered = [r for r in fake.requests if "response_format" not in r["json"]]
    assert len(answered) == 2
    systems = {json.dumps(messages_of(r)[0]) for r in answered}
    assert len(systems) == 1 and "JSON schema" in messages_of(answered[0])[0]["content"]
    assert messages_of(answered[1])[: len(messages_of(answered[0]))] == messages_of(answered[0])


def test_a_grown_conversation_the_server_calls_too_long_is_answered_from_the_first(
    fake: FakeModel,
) -> None:
    fake.queue(
        [
            calls(tool_call("read_file", {"path": "long.txt"})),
            exceeds_context(9000, 8192),
            findings([finding(path="src/use.py", line=3)]),
        ]
    )
    (result,) = review(make_settings(fake), tools=options())
    assert result.error is None and not result.too_long and len(result.findings) == 1
    first, grown, again = fake.requests
    assert len(messages_of(grown)) > len(messages_of(first))
    assert messages_of(again) == messages_of(first)
    assert again["json"]["tool_choice"] == "none"
    assert (result.usage.failed_requests, result.usage.tool_rounds) == (1, 1)


def test_a_chunk_too_long_before_any_call_is_still_split(fake: FakeModel) -> None:
    fake.queue([exceeds_context(9000, 8192)])
    (result,) = review(make_settings(fake), tools=options())
    assert result.too_long and result.error is not None and len(fake.requests) == 1


def test_rounds_before_a_failure_are_still_counted(fake: FakeModel) -> None:
    fake.queue([calls(tool_call("list_files", {}), tool_call("list_files", {"glob": "src/"}))])
    fake.script(lambda request: error(400, {"error": "temperature is invalid"}))
    (result,) = review(make_settings(fake), tools=options())
    assert result.error is not None and "temperature is invalid" in result.error
    assert (result.usage.tool_calls, result.usage.tool_rounds) == (2, 1)
    assert (result.usage.requests, result.usage.failed_requests) == (2, 1)
