"""The client against servers that are not xAI: the format ladder, errors that cannot succeed,
shared-cache servers, servers that go away, and the repair budget."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from bot.model import client as llm
from bot.model.client import ModelAuthError
from bot.model.ladder import ServerMemory
from bot.model.schema import response_schema, schema_note
from bot.model.session import CONTEXT_FULL_HINT, SLOTS_NOTE
from bot.settings import Settings
from tests.fakes.openai_server import (
    CONTEXT_FULL,
    FakeModel,
    delayed,
    error,
    finding,
    findings,
    raw,
    stall,
)
from tests.model.helpers import PREFIX, Waits, by_file, make_settings, run_review


def formats_sent(fake: FakeModel) -> list[str]:
    return [(r["json"].get("response_format") or {"type": "text"})["type"] for r in fake.requests]


# --- the structured-output ladder ------------------------------------------------------------


def test_llama_cpp_python_gets_json_object_with_the_schema_after_one_refusal() -> None:
    with FakeModel(formats=("json_object", "text")) as fake:
        fake.script(by_file)
        chunks = ["one.py", "two.py", "three.py"]
        results = run_review(make_settings(fake, concurrency=1), chunks)

    assert [r.findings[0].path for r in results] == ["one.py", "two.py", "three.py"]
    assert all(r.error is None and r.mode == "json_object" for r in results)
    assert formats_sent(fake) == ["json_schema", "json_object", "json_object", "json_object"]
    total = sum((r.usage for r in results), results[0].usage.__class__())
    assert (total.requests, total.failed_requests) == (4, 1)
    later = [r["json"] for r in fake.requests[1:]]
    for body in later:
        assert body["response_format"]["schema"] == response_schema()
        assert body["max_tokens"] == body["max_completion_tokens"] == 10_000
    # The cacheable prefix (system message with the schema, then the PR) is the same bytes
    # for every chunk; only the last message differs.
    prefixes = {json.dumps(body["messages"][:-1]) for body in later}
    assert len(prefixes) == 1
    assert later[0]["messages"][0]["content"] == PREFIX[0]["content"] + schema_note()
    assert "max_tokens" not in fake.requests[0]["json"]


def test_a_server_taking_neither_format_gets_plain_text_in_two_steps_per_run() -> None:
    with FakeModel(formats=("text",)) as fake:
        fake.script(lambda request: raw("Sure!\n" + json.dumps({"findings": [finding()]})))
        results = run_review(make_settings(fake, concurrency=1), ["a", "b", "c"])
    assert all(r.error is None and len(r.findings) == 1 and r.mode == "text" for r in results)
    assert formats_sent(fake) == ["json_schema", "json_object", "text", "text", "text"]
    assert "response_format" not in fake.requests[-1]["json"]
    assert schema_note() in fake.requests[-1]["json"]["messages"][0]["content"]
    text_prefixes = {json.dumps(r["json"]["messages"][:-1]) for r in fake.requests[2:]}
    assert len(text_prefixes) == 1  # the cacheable prefix is the same for every chunk


def test_the_rung_is_remembered_per_base_url_and_model_across_runs() -> None:
    servers = ServerMemory()
    with FakeModel(formats=("json_object", "text")) as fake:
        run_review(make_settings(fake), ["a"], servers=servers)
        assert formats_sent(fake) == ["json_schema", "json_object"]
        run_review(make_settings(fake), ["b"], servers=servers)  # the App's next review
        assert formats_sent(fake)[2:] == ["json_object"]
        run_review(make_settings(fake, model="other-model"), ["c"], servers=servers)
        assert formats_sent(fake)[3:] == ["json_schema", "json_object"]
        run_review(make_settings(fake), ["d"])  # a run of its own starts at the top again
        assert formats_sent(fake)[5:] == ["json_schema", "json_object"]


def test_concurrent_refusals_step_down_once() -> None:
    with FakeModel(formats=("json_object", "text")) as fake:
        fake.script(lambda request: delayed(0.05, findings([])))
        results = run_review(make_settings(fake, concurrency=4), [f"c{i}" for i in range(8)])
    assert all(r.error is None for r in results)
    sent = formats_sent(fake)
    assert sent.count("json_object") == 8  # every chunk answered in JSON mode
    assert 1 <= sent.count("json_schema") <= 4  # at most the requests already in flight
    assert "text" not in sent


def test_no_rung_left_fails_the_chunk_without_retries() -> None:
    with FakeModel(formats=()) as fake:
        waits = Waits()
        (result,) = run_review(make_settings(fake), ["a"], sleep=waits)
    assert formats_sent(fake) == ["json_schema", "json_object", "text"]
    assert result.error is not None and "no structured-output format left" in result.error
    assert waits.waits == []


# --- errors that cannot succeed ---------------------------------------------------------------


def test_a_500_that_is_a_validation_error_is_not_retried(fake: FakeModel) -> None:
    body = {"detail": "1 validation error: {'loc': ('body', 'temperature'), 'msg': 'bad'}"}
    fake.queue([error(500, body)])
    waits = Waits()
    (result,) = run_review(make_settings(fake), ["a"], sleep=waits)
    assert len(fake.requests) == 1 and waits.waits == []
    assert result.error is not None and "500" in result.error and "validation" in result.error
    assert (result.usage.requests, result.usage.failed_requests) == (1, 1)


@pytest.mark.parametrize(("key", "says"), [("wrong", "rejected the key"), (None, "wants a key")])
def test_401_stops_the_whole_run_at_once(key: str | None, says: str) -> None:
    with FakeModel(api_key="right") as fake:
        settings = make_settings(fake, api_key=key, concurrency=2)
        with pytest.raises(ModelAuthError) as exc:
            run_review(settings, [f"c{i}" for i in range(6)])
    assert exc.value.exit_code == 2
    message = str(exc.value)
    assert says in message and fake.url in message and "GROK_REVIEW_API_KEY" in message
    assert "\n" not in message
    assert len(fake.requests) <= 2  # the requests already in flight, no more


# --- a server whose slots share one cache (llama-server -np > 1) -------------------------------


def test_context_size_exceeded_steps_concurrency_down_to_one() -> None:
    with FakeModel(shared_context=True) as fake:
        fake.script(lambda request: delayed(0.1, findings([])))
        results = run_review(make_settings(fake, concurrency=3), [f"c{i}" for i in range(5)])
    assert all(r.error is None for r in results)
    notes = [n for r in results for n in r.notes]
    assert notes == [SLOTS_NOTE]  # said once, by the request that lowered it
    failed = sum(r.usage.failed_requests for r in results)
    assert failed >= 1 and len(fake.requests) == 5 + failed


def test_context_size_exceeded_alone_fails_the_chunk_naming_the_server_settings(
    fake: FakeModel,
) -> None:
    fake.script(lambda request: error(500, CONTEXT_FULL))
    waits = Waits()
    (result,) = run_review(make_settings(fake, concurrency=1), ["a"], sleep=waits)
    assert len(fake.requests) == 1 and waits.waits == []
    assert result.error is not None and CONTEXT_FULL_HINT in result.error
    assert "-np 1" in result.error and "-c" in result.error


# --- a server that goes away ------------------------------------------------------------------


def test_a_server_that_stops_listening_costs_seconds_not_the_timeout() -> None:
    with FakeModel() as fake:
        fake.queue([stall()])

        def stop_when_asked() -> None:
            while not fake.requests:
                time.sleep(0.01)
            time.sleep(0.2)
            fake.stop_listening()

        threading.Thread(target=stop_when_asked, daemon=True).start()
        settings = make_settings(fake, timeout_s=300.0, probe_s=0.05, model_retries=1)
        started = time.monotonic()
        (result,) = run_review(settings, ["a"])
        elapsed = time.monotonic() - started
    assert elapsed < 10  # a guard against the 300 s hang, not a timing assertion
    assert result.error is not None and "could not reach the model API" in result.error
    # The stalled request was sent and is counted; the retry found nobody listening.
    assert (result.usage.requests, result.usage.failed_requests) == (1, 1)


def test_once_the_server_is_unreachable_later_chunks_are_not_sent() -> None:
    with FakeModel() as fake:
        url = fake.url
    settings = Settings(
        api_key="k", base_url=url, model_retries=1, retry_base_s=0.001, concurrency=1
    )
    results = run_review(settings, ["a", "b", "c"])
    assert results[0].error is not None and "could not reach" in results[0].error
    assert results[0].usage.requests == 0  # no connection: nothing was sent
    for later in results[1:]:
        assert later.error is not None and "not sent" in later.error
        assert later.usage.requests == 0


def test_xais_api_is_never_probed_other_servers_are() -> None:
    assert llm.new_run_state(Settings(api_key="k")).liveness.interval_s == 0
    local = Settings(api_key="k", base_url="http://127.0.0.1:8080/v1", probe_s=2)
    assert llm.new_run_state(local).liveness.interval_s == 2


def test_the_client_waits_connect_timeout_s_to_connect_and_timeout_s_to_read() -> None:
    client = llm.make_client(Settings(api_key="k", timeout_s=120, connect_timeout_s=3))
    timeout: Any = client.timeout
    assert (timeout.connect, timeout.read) == (3, 120)


# --- the repair request fits the context ---------------------------------------------------


def test_a_repair_leaves_out_a_reply_that_would_not_fit(fake: FakeModel) -> None:
    long_reply = json.dumps({"findings": [finding(body="x " * 6000)]})[:-3]  # cut off
    fake.queue([raw(long_reply, finish_reason="length"), [finding()]])
    settings = make_settings(fake, context_tokens=8192, max_output_tokens=4096)
    (result,) = run_review(settings, ["chunk"])
    assert result.error is None
    repair = fake.requests[1]["json"]["messages"]
    assert [m["role"] for m in repair] == ["system", "user", "user", "user"]
    assert "output token limit" in repair[-1]["content"]
