"""Which comments ask the bot for an answer: `/ask`, and replies in its review threads (pure).

`pull_request_review_comment.created.json` (tests/data/webhooks) is a top-level comment by a
person; the replies here are built from a copy, as tests/data/README.md describes.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.github.markers import answer_marker, answered_ids, without_markers
from bot.github.triggers import (
    Refused,
    ThreadReply,
    comment_command,
    parse_command,
    parse_question,
    reply_intent,
    review_reply,
)
from tests.app.helpers import payload, pr_comment

ROOT_ID = 1000


def reply(body: str, **comment: Any) -> dict[str, Any]:
    """The recorded review comment turned into a reply in the thread of comment ROOT_ID."""
    data = payload("pull_request_review_comment.created")
    data["comment"].update(body=body, in_reply_to_id=ROOT_ID, **comment)
    return data


@pytest.mark.parametrize(
    ("body", "command", "question"),
    [
        ("/ask Why is the loop off by one?", "ask", "Why is the loop off by one?"),
        ("/ask\nWhat does\nthis do?", "ask", "What does\nthis do?"),
        ("  /ask   ", "ask", ""),
        ("/asking for a friend", None, ""),
        ("/review", "command", ""),
        ("Please /ask this", None, ""),
    ],
)
def test_ask_is_a_command_with_the_rest_as_its_question(
    body: str, command: str | None, question: str
) -> None:
    assert parse_command(body) == command
    assert parse_question(body) == question


def test_ask_has_the_same_gate_as_review() -> None:
    assert comment_command(pr_comment("/ask why?", association="MEMBER")) == "ask"
    refused = comment_command(pr_comment("/ask why?", association="CONTRIBUTOR"))
    assert isinstance(refused, Refused) and refused.why == "untrusted"
    bot = comment_command(pr_comment("/ask why?", user_type="Bot"))
    assert isinstance(bot, Refused) and bot.why == "bot"
    ours = comment_command(pr_comment(f"/ask why?\n\n{answer_marker(7)}"))
    assert isinstance(ours, Refused) and ours.why == "bot"


@pytest.mark.parametrize(
    ("body", "intent"),
    [
        ("Why is this a bug? The list is never empty.", "answer"),
        ("@grok-review explain the race please", "answer"),
        ("/ask what would you do instead", "answer"),
        ("False positive: the caller checks it.", "acknowledge"),
        ("Not a bug, this is intended.", "acknowledge"),
        ("This is wrong, the lock is held by the caller", "acknowledge"),
        ("Won't fix.", "acknowledge"),
        ("Is this a false positive?", "answer"),  # a question is answered, not acknowledged
        ("Thanks, fixed in abc123.", None),
        ("Good catch!", None),
        ("> Why is this a bug?\nFixed.", None),  # the question is a quote of someone else
        ("See https://example.com/x?y=1 and `a?.b`", None),  # not questions
        ("@alice can you look at this", None),  # a person, not the bot
    ],
)
def test_what_a_reply_asks_of_the_bot(body: str, intent: str | None) -> None:
    assert reply_intent(body, bot_login="grok-review[bot]") == intent


def test_the_bots_own_login_counts_as_a_mention() -> None:
    assert reply_intent("@my-reviewer explain", bot_login="my-reviewer[bot]") == "answer"
    assert reply_intent("@my-reviewer explain", bot_login="other[bot]") is None
    # Not knowing the bot's login (the webhook handler), any mention may be it.
    assert reply_intent("@my-reviewer explain") == "answer"


def test_a_writers_question_in_a_thread_is_a_thread_reply() -> None:
    data = reply("Why?")
    assert review_reply(data) == ThreadReply(
        number=2, comment_id=data["comment"]["id"], in_reply_to=ROOT_ID, login="Codertocat"
    )


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (payload("pull_request_review_comment.created"), "not_reply"),  # starts a thread
        ({**reply("Why?"), "action": "edited"}, "action"),
        (reply("Why?", author_association="CONTRIBUTOR"), "untrusted"),
        (reply("Thanks!"), "not_for_bot"),
        (reply(f"Why?\n{answer_marker(5)}"), "bot"),
    ],
)
def test_other_review_comments_ask_for_nothing(data: dict[str, Any], why: str) -> None:
    refused = review_reply(data)
    assert isinstance(refused, Refused) and refused.why == why


def test_replies_of_bots_and_of_this_app_are_refused() -> None:
    data = reply("Why?")
    data["comment"]["user"]["type"] = "Bot"
    refused = review_reply(data)
    assert isinstance(refused, Refused) and refused.why == "bot"
    via = reply("Why?", performed_via_github_app={"id": 42})
    refused = review_reply(via, app_id=42)
    assert isinstance(refused, Refused) and refused.why == "this_app"


def test_answer_markers_name_the_comment_and_come_out_for_the_model() -> None:
    body = f"An answer.\n\n{answer_marker(123)}"
    assert answered_ids(body) == (123,)
    assert answered_ids("An answer <!-- grok\u200b-review:answer=5 -->") == ()
    assert without_markers(body) == "An answer."
