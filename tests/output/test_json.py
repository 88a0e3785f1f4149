"""The review as JSON, and the usage line every report ends with."""

from __future__ import annotations

import json

from bot.models import Usage
from bot.output.formats import (
    review_to_json,
    usage_line,
)
from tests.output.helpers import HOSTILE, REVIEW

FINDING_KEYS = {
    "path": str,
    "line": int,
    "start_line": (int, type(None)),
    "side": str,
    "severity": str,
    "category": str,
    "title": str,
    "body": str,
    "suggestion": (str, type(None)),
    "confidence": float,
    "fingerprint": str,
}


def test_json_has_exactly_the_design_shape() -> None:
    out = json.loads(json.dumps(review_to_json(REVIEW)))  # must be plain JSON
    design = {"summary", "model", "served_model", "comments", "unanchored", "overflow"}
    design |= {"skipped_files", "overview", "usage", "errors"}
    extra = {"head_sha", "reviewed_range", "structured_output", "notes", "left_out"}
    assert design <= set(out) and set(out) - design == extra
    assert (out["summary"], out["model"], out["served_model"]) == (
        REVIEW.summary,
        "grok-code-fast-1",
        "grok-4.3",
    )
    for key, items in (("comments", 4), ("unanchored", 2), ("overflow", 1)):
        assert len(out[key]) == items
        for entry in out[key]:
            assert set(entry) == set(FINDING_KEYS)
            for name, kind in FINDING_KEYS.items():
                assert isinstance(entry[name], kind), (key, name)
    assert out["comments"][2]["start_line"] == 40 and out["comments"][3]["side"] == "LEFT"
    assert out["comments"][2]["suggestion"] == "    return x\n"
    assert out["skipped_files"] == [{"path": "package-lock.json", "reason": "lockfile"}]
    assert out["usage"] == {
        "requests": 3,
        "prompt_tokens": 41_200,
        "cached_tokens": 30_000,
        "completion_tokens": 2_100,
        "reasoning_tokens": 900,
        "cost_usd": 0.0512,
        # Beyond the README's list: fields may be added.
        "estimated_prompt_tokens": 0,
        "failed_requests": 0,
        "unpriced_requests": 0,
        "tool_calls": 0,
        "tool_rounds": 0,
        "cost_known": True,
    }
    assert out["errors"] == list(REVIEW.errors)


def test_usage_line_sets_the_estimate_beside_the_billed_prompt() -> None:
    usage = REVIEW.usage.model_copy(update={"estimated_prompt_tokens": 48_900})
    line = usage_line(usage, model="grok-code-fast-1", served_model=None)
    assert "41,200 prompt (30,000 cached, estimated 48,900)" in line
    assert "estimated" not in usage_line(REVIEW.usage, model="grok-code-fast-1", served_model=None)


def test_usage_shows_failed_requests_apart_and_never_prices_the_unknown_at_zero() -> None:
    local = Usage(requests=4, failed_requests=1, prompt_tokens=900, unpriced_requests=3)
    line = usage_line(local, model="smollm2", served_model=None)
    assert line.startswith("4 requests (1 failed) · 900 prompt")
    assert "cost unknown" in line and "GROK_REVIEW_PRICES" in line and "$" not in line
    part = local.model_copy(update={"cost_usd": 0.25})
    assert "$0.2500 + cost unknown" in usage_line(part, model="m", served_model=None)
    assert "$0.0512 ·" in usage_line(REVIEW.usage, model="m", served_model=None)
    out = review_to_json(REVIEW.model_copy(update={"usage": part}))
    assert (out["usage"]["cost_usd"], out["usage"]["cost_known"]) == (0.25, False)
    assert out["usage"]["failed_requests"] == 1


def test_json_keeps_model_text_raw() -> None:
    out = review_to_json(REVIEW)
    assert out["comments"][1]["title"] == HOSTILE  # JSON is data; only GitHub text is defused


def test_usage_line_matches_the_documented_example() -> None:
    line = usage_line(REVIEW.usage, model="grok-code-fast-1", served_model="grok-4.3")
    assert line == (
        "3 requests · 41,200 prompt (30,000 cached) · 2,100 completion (900 reasoning) tokens"
        " · $0.0512 · model grok-code-fast-1 (served by grok-4.3)"
    )


def test_usage_line_without_cache_reasoning_or_other_server() -> None:
    line = usage_line(
        Usage(requests=1, prompt_tokens=10, completion_tokens=2, cost_usd=1.5),
        model="m",
        served_model="m",
    )
    assert line == "1 request · 10 prompt · 2 completion tokens · $1.5000 · model m"


def test_usage_line_counts_tool_calls_and_rounds_among_the_requests() -> None:
    usage = Usage(requests=5, prompt_tokens=10, tool_calls=4, tool_rounds=2, cost_usd=0.5)
    line = usage_line(usage, model="m", served_model=None)
    assert line.startswith("5 requests · 4 tool calls in 2 rounds · 10 prompt ·")
    one = usage.model_copy(update={"tool_calls": 1, "tool_rounds": 1})
    assert "· 1 tool call in 1 round ·" in usage_line(one, model="m", served_model=None)
    out = review_to_json(REVIEW.model_copy(update={"usage": usage}))
    assert (out["usage"]["tool_calls"], out["usage"]["tool_rounds"]) == (4, 2)
