"""Reading replies: lenient about wrapping and odd escapes, strict about shape; usage and cost."""

from __future__ import annotations

import json
import time

import pytest

from bot.model.schema import (
    ModelReview,
    build_repair_messages,
    parse_review,
    parse_usage,
    to_findings,
    with_schema_in_system,
)
from tests.fakes.openai_server import finding


def test_a_lone_surrogate_escape_is_replaced_not_refused() -> None:
    # llama.cpp's JSON grammar lets a model write half a surrogate pair; json.loads keeps it,
    # pydantic's own JSON parser refuses the whole reply ("lone leading surrogate").
    escaped = json.dumps({"findings": [finding(body="bad \\uDdAa here")]})
    text = escaped.replace("\\\\uDdAa", "\\uDdAa")  # JSON text: "bad \uDdAa here"
    assert "\\uDdAa" in text
    with pytest.raises(ValueError, match="surrogate"):
        ModelReview.model_validate_json(text)
    review, problem = parse_review(text)
    assert problem is None and review is not None
    assert review.findings[0].body == "bad \ufffd here"


def test_a_valid_surrogate_pair_is_kept() -> None:
    text = json.dumps({"findings": [finding(title="emoji \U0001f600")]}, ensure_ascii=True)
    review, problem = parse_review(text)
    assert problem is None and review is not None
    assert review.findings[0].title == "emoji \U0001f600"


@pytest.mark.parametrize(
    "wrap",
    [
        "{}",
        "```json\n{}\n```",
        "Here is the review:\n{}\nHope this helps.",
    ],
)
def test_the_object_is_found_in_fences_and_prose(wrap: str) -> None:
    review, problem = parse_review(wrap.format(json.dumps({"findings": [finding()]})))
    assert problem is None and review is not None and len(review.findings) == 1


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("not json at all", "not valid JSON"),
        ('{"findings": [{"path": "a.py",', "not valid JSON"),
        ('{"findings": [{"oops": 1}]}', "findings.0.path"),
        ('{"items": []}', "it did not match the schema"),
    ],
)
def test_unusable_replies_say_why(content: str, says: str) -> None:
    review, problem = parse_review(content)
    assert review is None and problem is not None and says in problem


def test_findings_without_a_title_or_a_body_are_dropped_and_counted() -> None:
    review = ModelReview.model_validate(
        {
            "findings": [
                finding(title="Real problem"),
                finding(title="", body="<br/>\n<p></p>"),  # seen from a real small model
                finding(title="   ", body="Something"),
                finding(title="No body", body=" <b> </b> "),
                finding(title="HTML around text", body="<p>Off by one.</p>"),
            ]
        }
    )
    kept, dropped = to_findings(review)
    assert [f.title for f in kept] == ["Real problem", "HTML around text"]
    assert dropped == 3


def test_a_body_of_unclosed_angle_brackets_is_judged_in_linear_time() -> None:
    # Each `<` used to rescan to the end looking for a `>`: quadratic in the body.
    started = time.monotonic()
    review = ModelReview.model_validate({"findings": [finding(title="t", body="<" * 400_000)]})
    kept, dropped = to_findings(review)
    assert (len(kept), dropped) == (1, 0)  # `<` without `>` is text, not a tag
    assert time.monotonic() - started < 5


def test_the_schema_goes_into_the_system_message_identically_for_every_chunk() -> None:
    prefix = [{"role": "system", "content": "rules"}, {"role": "user", "content": "PR"}]
    one = with_schema_in_system([*prefix, {"role": "user", "content": "chunk 1"}])
    two = with_schema_in_system([*prefix, {"role": "user", "content": "chunk 2"}])
    assert one[:2] == two[:2] and one[2:] != two[2:]
    assert one[0]["content"].startswith("rules\n\nAnswer with one JSON object only")
    assert '"findings"' in one[0]["content"]
    assert one[1:] == [*prefix[1:], {"role": "user", "content": "chunk 1"}]


def test_a_repair_can_leave_the_bad_reply_out() -> None:
    messages = [{"role": "user", "content": "chunk"}]
    shown = build_repair_messages(messages, reply="{bad", problem="it was cut off")
    hidden = build_repair_messages(messages, reply=None, problem="it was cut off")
    assert [m["role"] for m in shown] == ["user", "assistant", "user"]
    assert [m["role"] for m in hidden] == ["user", "user"]
    assert hidden[-1] == shown[-1]


USAGE = {"prompt_tokens": 2_000_000, "completion_tokens": 0}


def test_usage_of_an_unlisted_model_has_an_unknown_cost_not_a_zero_one() -> None:
    usage = parse_usage(USAGE, model="smollm2", served_model="smollm2", prices={})
    assert (usage.requests, usage.unpriced_requests, usage.cost_usd) == (1, 1, 0.0)
    assert usage.prompt_tokens == 2_000_000 and not usage.cost_known


def test_a_price_override_names_any_model() -> None:
    prices = {"smollm2": {"input": 0.5, "cached": 0.0, "output": 0.0}}
    usage = parse_usage(USAGE, model="smollm2", served_model=None, prices=prices)
    assert usage.cost_known and usage.cost_usd == pytest.approx(1.0)


def test_an_unlisted_name_served_by_a_listed_model_is_priced_as_served() -> None:
    usage = parse_usage(USAGE, model="grok-latest", served_model="grok-4.3", prices={})
    assert usage.cost_known and usage.cost_usd == pytest.approx(2.5)


def test_an_answer_without_token_counts_has_an_unknown_cost() -> None:
    usage = parse_usage(None, model="grok-4.3", served_model=None, prices={})
    assert (usage.requests, usage.unpriced_requests, usage.prompt_tokens) == (1, 1, 0)
