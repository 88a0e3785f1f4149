"""The model adapter against a fake OpenAI-compatible server, with the real AsyncOpenAI client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from bot.errors import MissingKeyError
from bot.model import client as llm
from bot.model.prompt import prefix_tokens
from bot.model.schema import ModelFinding, response_schema, to_finding
from bot.models import ProgressEvent, Usage
from bot.pricing import TICKS_PER_USD, cost_from_tokens, price_for
from bot.settings import Settings
from tests.fakes.openai_server import (
    FakeModel,
    delayed,
    error,
    finding,
    findings,
    last_message,
    raw,
)
from tests.model.helpers import PREFIX, by_file, chunk_text, make_settings, run_review

FORBIDDEN_SCHEMA_KEYS = {"minLength", "maxLength", "minItems", "maxItems", "allOf"}
FORBIDDEN_PARAMS = {
    "reasoning_effort",
    "presence_penalty",
    "frequency_penalty",
    "stop",
    "max_tokens",
}


def walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def assert_in_subset(schema: dict[str, Any]) -> None:
    objects = 0
    for node in walk(schema):
        assert not FORBIDDEN_SCHEMA_KEYS & node.keys(), node
        assert "default" not in node, node
        if node.get("type") == "object":
            objects += 1
            assert node["additionalProperties"] is False, node
            assert sorted(node["required"]) == sorted(node["properties"]), node
    assert objects >= 2  # ModelReview and ModelFinding


# --- the schema ----------------------------------------------------------------------------


def test_schema_stays_inside_the_xai_subset() -> None:
    assert_in_subset(response_schema())
    finding_schema = response_schema()["$defs"]["ModelFinding"]
    assert finding_schema["properties"]["start_line"]["anyOf"] == [
        {"type": "integer"},
        {"type": "null"},
    ]
    assert finding_schema["properties"]["side"]["enum"] == ["RIGHT", "LEFT"]


def test_to_finding_clamps_and_normalises() -> None:
    fields = finding(side="LEFT", suggestion="x = 1", confidence=1.7, start_line=4, line=4)
    converted = to_finding(ModelFinding(**fields))
    assert converted.confidence == 1.0
    assert converted.suggestion is None  # suggestions only apply to RIGHT lines
    assert converted.start_line is None  # a one-line range is just a line
    right = to_finding(ModelFinding(**finding(suggestion="x = 1", start_line=2, line=4)))
    assert (right.suggestion, right.start_line, right.line) == ("x = 1", 2, 4)


# --- request shape ---------------------------------------------------------------------------


def test_requests_share_the_prefix_header_and_schema_and_results_keep_order(
    fake: FakeModel,
) -> None:
    fake.script(by_file)
    chunks = [f"Review part {i} of 5: file_{i}.py" for i in range(1, 6)]
    results = run_review(make_settings(fake), chunks)

    assert [r.index for r in results] == [0, 1, 2, 3, 4]
    assert [r.findings[0].path for r in results] == [f"file_{i}.py" for i in range(1, 6)]
    assert len(fake.requests) == 5
    prefixes = {json.dumps(r["json"]["messages"][:-1]) for r in fake.requests}
    assert prefixes == {json.dumps(PREFIX)}
    assert {r["headers"]["x-grok-conv-id"] for r in fake.requests} == {"grok-review-abc123"}
    for request in fake.requests:
        body = request["json"]
        assert not FORBIDDEN_PARAMS & body.keys()
        assert body["model"] == "grok-code-fast-1"
        assert body["temperature"] == 0
        assert body["max_completion_tokens"] == 10_000
        fmt = body["response_format"]
        assert fmt["type"] == "json_schema"
        assert fmt["json_schema"]["strict"] is True
        assert_in_subset(fmt["json_schema"]["schema"])
        assert request["headers"]["authorization"] == "Bearer test-key"


def test_make_client_without_a_key_is_a_missing_key_error_for_xai_only(fake: FakeModel) -> None:
    with pytest.raises(MissingKeyError) as exc:
        llm.make_client(Settings(api_key=None))  # the default base URL: xAI's API
    assert exc.value.exit_code == 2


def test_a_server_of_ones_own_needs_no_key_and_gets_no_authorization_header(
    fake: FakeModel,
) -> None:
    (result,) = run_review(make_settings(fake, api_key=None), ["chunk"])
    assert result.error is None
    assert "authorization" not in fake.requests[0]["headers"]


# --- validation and repair ---------------------------------------------------------------------


def test_malformed_json_gets_one_repair_then_succeeds(fake: FakeModel) -> None:
    fake.queue([raw('{"findings": [{"path": "a.py",'), [finding(path="a.py")]])
    (result,) = run_review(make_settings(fake), ["chunk a.py"])
    assert result.error is None
    assert [f.path for f in result.findings] == ["a.py"]
    assert result.usage.requests == 2  # the bad reply was billed too
    repair = fake.requests[1]["json"]["messages"]
    assert repair[: len(PREFIX) + 1] == fake.requests[0]["json"]["messages"]
    assert repair[-2] == {"role": "assistant", "content": '{"findings": [{"path": "a.py",'}
    assert repair[-1]["role"] == "user"
    assert "not valid JSON" in repair[-1]["content"]


def test_schema_mismatch_quotes_the_validation_error(fake: FakeModel) -> None:
    bad = finding()
    del bad["severity"]
    fake.queue([findings([bad]), [finding()]])
    (result,) = run_review(make_settings(fake), ["chunk"])
    assert result.error is None
    repair_prompt = last_message(fake.requests[1])
    assert "findings.0.severity" in repair_prompt


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        # Cut off inside its findings (one cut off in its overview keeps them: test_overview).
        (raw('{"findings": [' + json.dumps(finding()), finish_reason="length"), "token limit"),
        (raw("", refusal="I can't help with that."), "refused: I can't help with that."),
    ],
)
def test_cut_off_or_refused_replies_are_repaired(fake: FakeModel, reply: Any, problem: str) -> None:
    fake.queue([reply, [finding()]])
    (result,) = run_review(make_settings(fake), ["chunk"])
    assert result.error is None and len(result.findings) == 1
    assert problem in last_message(fake.requests[1])


def test_malformed_twice_fails_that_chunk_only(fake: FakeModel) -> None:
    def reply(request: dict[str, Any]) -> Any:
        return raw("not json at all") if "broken.py" in chunk_text(request) else [finding()]

    fake.script(reply)
    results = run_review(make_settings(fake), ["ok.py", "broken.py", "fine.py"])
    assert [len(r.findings) for r in results] == [1, 0, 1]
    assert results[0].error is None and results[2].error is None
    assert results[1].error is not None
    assert results[1].error.startswith("chunk 2 failed: reply did not validate")
    assert "not valid JSON" in results[1].error
    assert results[1].usage.requests == 2
    assert len(fake.requests) == 4


def test_json_object_replies_are_validated_locally(fake: FakeModel) -> None:
    refusal = {"code": "bad", "error": "Invalid response_format: json_schema"}
    fenced = "```json\n" + json.dumps({"findings": [finding(path="x.py")]}) + "\n```"
    fake.queue([error(400, refusal), raw('{"findings": [{"oops": 1}]}'), raw(fenced)])
    (result,) = run_review(make_settings(fake), ["chunk"])
    assert result.error is None
    assert [f.path for f in result.findings] == ["x.py"]
    assert "findings.0.path" in last_message(fake.requests[2])


# --- usage, cost, served model -------------------------------------------------------------------


def test_usage_is_summed_with_cached_and_reasoning_tokens(fake: FakeModel) -> None:
    fake.queue(
        [
            raw("nope", prompt_tokens=1200, cached_tokens=1000, completion_tokens=30),
            findings(
                [finding()],
                prompt_tokens=1300,
                cached_tokens=1100,
                completion_tokens=400,
                reasoning_tokens=350,
            ),
        ]
    )
    (result,) = run_review(make_settings(fake), ["chunk"])
    price = price_for("grok-code-fast-1")
    expected_cost = cost_from_tokens(
        price, prompt_tokens=1200, cached_tokens=1000, completion_tokens=30
    ) + cost_from_tokens(price, prompt_tokens=1300, cached_tokens=1100, completion_tokens=400)
    assert result.usage == Usage(
        requests=2,
        prompt_tokens=2500,
        cached_tokens=2100,
        completion_tokens=430,
        reasoning_tokens=350,
        cost_usd=result.usage.cost_usd,  # float: compared approximately below
        # Our estimate of both billed prompts: the first request and the repair.
        estimated_prompt_tokens=sum(prefix_tokens(r["json"]["messages"]) for r in fake.requests),
    )
    assert result.usage.cost_usd == pytest.approx(expected_cost)


def test_usage_carries_our_estimate_of_each_billed_prompt(fake: FakeModel) -> None:
    fake.queue([findings([finding()], prompt_tokens=900)])
    (result,) = run_review(make_settings(fake), ["the chunk"])
    messages = [*PREFIX, {"role": "user", "content": "the chunk"}]
    assert result.usage.estimated_prompt_tokens == prefix_tokens(messages) > 0


def test_reasoning_left_out_of_completion_tokens_is_counted_once(fake: FakeModel) -> None:
    # Older xAI accounting: total = prompt + completion + reasoning.
    fake.queue([findings([], completion_tokens=20, reasoning_tokens=300, total_tokens=1320)])
    (result,) = run_review(make_settings(fake), ["chunk"])
    assert result.usage.completion_tokens == 320
    assert result.usage.reasoning_tokens == 300


def test_cost_comes_from_ticks_when_present(fake: FakeModel) -> None:
    fake.queue([findings([], cost_ticks=12_345_678)])
    (result,) = run_review(make_settings(fake), ["chunk"])
    assert result.usage.cost_usd == pytest.approx(12_345_678 / TICKS_PER_USD)


def test_cost_uses_price_overrides_without_ticks(fake: FakeModel) -> None:
    fake.queue([findings([], prompt_tokens=2_000_000, cached_tokens=0, completion_tokens=0)])
    prices = {"grok-code-fast-1": {"input": 0.5}}
    (result,) = run_review(make_settings(fake, prices=prices), ["chunk"])
    assert result.usage.cost_usd == pytest.approx(1.0)


def test_served_model_is_reported(fake: FakeModel) -> None:
    fake.queue([findings([], model="grok-4.3-0515")])
    (result,) = run_review(make_settings(fake), ["chunk"])
    assert result.served_model == "grok-4.3-0515"


# --- concurrency and progress --------------------------------------------------------------------


def test_concurrency_limit_is_respected_and_used(fake: FakeModel) -> None:
    fake.script(lambda request: delayed(0.2, findings([])))
    results = run_review(make_settings(fake, concurrency=4), [f"c{i}" for i in range(8)])
    assert len(results) == 8 and all(r.error is None for r in results)
    assert 2 <= fake.max_in_flight <= 4


def test_progress_events_count_up_with_failures(fake: FakeModel) -> None:
    def reply(request: dict[str, Any]) -> Any:
        return raw("garbage") if "bad" in chunk_text(request) else findings([])

    fake.script(reply)
    events: list[ProgressEvent] = []
    run_review(make_settings(fake, concurrency=1), ["a", "bad", "c"], on_event=events.append)
    assert [e.done for e in events] == [1, 2, 3]
    assert {e.total for e in events} == {3}
    assert events[-1].failed == 1
    assert events[-1].prompt_tokens == 4 * 1000  # 3 chunks + 1 repair, 1000 each
    assert events[-1].completion_tokens == 4 * 50
