"""Retries and errors of the model adapter: what is retried, how long it waits, what ends a run."""

from __future__ import annotations

from typing import Any

import pytest

from bot.errors import ConfigError
from bot.model.client import ModelAuthError
from tests.fakes.openai_server import FakeModel, delayed, error, finding, findings
from tests.model.helpers import Waits, chunk_text, make_settings, run_review

# --- retries -----------------------------------------------------------------------------------


def test_429_with_retry_after_is_honoured_then_succeeds(fake: FakeModel) -> None:
    fake.queue([error(429, headers={"retry-after": "0.005"}), [finding()]])
    waits = Waits()
    (result,) = run_review(make_settings(fake), ["chunk"], sleep=waits)
    assert result.error is None
    assert len(result.findings) == 1
    assert len(fake.requests) == 2
    assert waits.waits == [0.005]
    # Every request sent is counted; the refused one apart, with no tokens.
    assert (result.usage.requests, result.usage.failed_requests) == (2, 1)
    assert result.usage.prompt_tokens == 1000


def test_retry_after_ms_wins_and_waits_are_capped(fake: FakeModel) -> None:
    fake.queue(
        [
            error(429, headers={"retry-after-ms": "3", "retry-after": "9"}),
            error(503, headers={"retry-after": "120"}),
            [],
        ]
    )
    waits = Waits()
    (result,) = run_review(make_settings(fake, retry_max_s=30.0), ["chunk"], sleep=waits)
    assert result.error is None
    assert waits.waits == [0.003, 30.0]


def test_500_twice_then_success_backs_off_with_jitter(fake: FakeModel) -> None:
    fake.queue([error(500), error(502, "Bad gateway"), [finding()]])
    waits = Waits()
    settings = make_settings(fake, retry_base_s=1.0, retry_max_s=1.5)
    (result,) = run_review(settings, ["chunk"], sleep=waits)
    assert result.error is None and len(result.findings) == 1
    assert len(fake.requests) == 3
    assert len(waits.waits) == 2
    assert 0 <= waits.waits[0] <= 1.0  # full jitter below base * 2**0
    assert 0 <= waits.waits[1] <= 1.5  # base * 2**1 capped at retry_max_s


def test_retries_run_out_and_the_chunk_reports_why(fake: FakeModel) -> None:
    fake.script(lambda request: error(503, {"code": "Unavailable", "error": "overloaded"}))
    settings = make_settings(fake, model_retries=2)
    (result,) = run_review(settings, ["chunk"], labels=["chunk 1 (src/app.py, src/db.py)"])
    assert len(fake.requests) == 3
    assert (result.usage.requests, result.usage.failed_requests) == (3, 3)
    assert result.findings == ()
    assert result.error is not None
    assert result.error.startswith("chunk 1 (src/app.py, src/db.py) failed: ")
    assert "503" in result.error and "overloaded" in result.error
    assert "after 3 attempts" in result.error


def test_timeout_past_timeout_s_is_retried(fake: FakeModel) -> None:
    fake.queue([delayed(0.6, findings([finding(title="late")])), [finding(title="on time")]])
    (result,) = run_review(make_settings(fake, timeout_s=0.2), ["chunk"])
    assert result.error is None
    assert [f.title for f in result.findings] == ["on time"]
    assert len(fake.requests) == 2


def test_400_is_not_retried_and_fails_only_that_chunk(fake: FakeModel) -> None:
    def reply(request: dict[str, Any]) -> Any:
        if "big.py" in chunk_text(request):
            return error(400, {"error": {"message": "prompt is too long", "type": "invalid"}})
        return [finding()]

    fake.script(reply)
    results = run_review(make_settings(fake), ["small.py", "big.py"])
    assert len(fake.requests) == 2
    assert results[0].error is None and len(results[0].findings) == 1
    assert results[1].error == "chunk 2 failed: model API answered 400: prompt is too long"


def test_401_ends_the_review_with_an_auth_error(fake: FakeModel) -> None:
    body = {"code": "Client specified an invalid argument", "error": "Incorrect API key provided"}
    fake.script(lambda request: error(401, body))
    with pytest.raises(ModelAuthError) as exc:
        run_review(make_settings(fake), ["a", "b", "c"])
    assert exc.value.exit_code == 2
    assert "401" in str(exc.value) and "Incorrect API key provided" in str(exc.value)


def test_404_names_the_model_as_a_config_error(fake: FakeModel) -> None:
    fake.script(lambda request: error(404, {"code": "Not found", "error": "no such model"}))
    with pytest.raises(ConfigError) as exc:
        run_review(make_settings(fake), ["a"], model="grok-nope")
    assert "'grok-nope'" in str(exc.value) and "no such model" in str(exc.value)
