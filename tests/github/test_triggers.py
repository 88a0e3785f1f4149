"""The shared rules for which comments start a review, for the Action and the App alike."""

from __future__ import annotations

from typing import Any

import pytest

from bot.action import decide as action_decide
from bot.app.events import Enqueue, Ignore, decide
from bot.github.triggers import OWN_MARKER, Refused, comment_command, parse_command
from tests.app.helpers import pr_comment


@pytest.mark.parametrize(
    ("body", "trigger"),
    [
        ("/review", "command"),
        ("/review full", "command_full"),
        ("  /review full\nplease", "command_full"),
        ("/review FULL please", "command_full"),
        ("\n  /review  \nthanks", "command"),
        ("/review now", "command"),
        ("/reviewer", None),
        ("please /review", None),
        ("", None),
        ("> /review", None),
    ],
)
def test_parse_command(body: str, trigger: str | None) -> None:
    assert parse_command(body) == trigger


def test_a_trusted_review_command_on_a_pr_asks_for_a_review() -> None:
    assert comment_command(pr_comment("/review full")) == "command_full"


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        ({**pr_comment("/review"), "action": "edited"}, "action"),
        (pr_comment("just a remark"), "not_command"),
        (pr_comment("/review", user_type="Bot"), "bot"),
        (pr_comment(f"/review\n{OWN_MARKER}head=abc -->"), "bot"),
        (pr_comment("/review", association="CONTRIBUTOR"), "untrusted"),
        (pr_comment("/review", association="NONE"), "untrusted"),
    ],
    ids=["edited", "no-command", "bot", "own-marker", "contributor", "none"],
)
def test_comments_that_do_not_start_a_review(payload: dict[str, Any], why: str) -> None:
    verdict = comment_command(payload)
    assert isinstance(verdict, Refused) and verdict.why == why


def test_a_comment_made_through_this_app_is_ignored_by_the_app_only_it_knows_its_id() -> None:
    data = pr_comment("/review")
    data["comment"]["performed_via_github_app"] = {"id": 7}
    assert comment_command(data, app_id=7) == Refused("this_app", login="Codertocat")
    assert comment_command(data, app_id=8) == "command"


def test_action_and_app_refuse_the_same_comments() -> None:
    # A review comment the bot wrote quotes `/review`? It carries our marker: neither starts
    # a review from it (the Action once lacked this check).
    own = pr_comment(f"/review\n{OWN_MARKER}head=abc -->")
    assert isinstance(action_decide.decide("issue_comment", own), action_decide.Ignored)
    assert isinstance(decide("issue_comment", own, delivery_id="d", app_id=None), Ignore)
    trusted = pr_comment("/review")
    assert isinstance(action_decide.decide("issue_comment", trusted), action_decide.Request)
    assert isinstance(decide("issue_comment", trusted, delivery_id="d", app_id=None), Enqueue)
