"""Which GitHub events and comments ask for a review — shared by the Action and the App (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from bot.github.markers import PREFIX, is_ours
from bot.github.render import CHECK_NAME

# "rerun": someone pressed Re-run on the bot's check run; it reviews like "command".
Trigger = Literal["auto", "command", "command_full", "rerun"]

REVIEW_ACTIONS = frozenset({"opened", "reopened", "synchronize", "ready_for_review"})
# Only people who can already push may spend the model budget on demand.
TRUSTED_ASSOCIATIONS = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})
OWN_MARKER = PREFIX  # a comment the bot wrote is never a command


def parse_command(body: str) -> Trigger | None:
    """`/review` -> "command", `/review full` -> "command_full", anything else -> None."""
    lines = body.strip().splitlines()
    words = lines[0].split() if lines else []
    if not words or words[0] != "/review":
        return None
    return "command_full" if len(words) > 1 and words[1].lower() == "full" else "command"


@dataclass(frozen=True)
class Refused:
    """Why an issue_comment does not start a review; each entry point words it itself."""

    why: Literal[
        "action",
        "issue",
        "not_command",
        "bot",
        "this_app",
        "untrusted",
        "other_check",
        "no_pull_request",
    ]
    action: str = ""
    login: str = ""
    association: str = ""


def comment_command(payload: Mapping[str, Any], *, app_id: int | None = None) -> Trigger | Refused:
    """The review an issue_comment payload asks for, or why it asks for none.

    Only a new comment on a pull request whose first line is `/review` counts, and only from a
    person who can push (OWNER, MEMBER, COLLABORATOR): never from a bot, never a comment the
    bot wrote itself (it carries our marker) and never one made through this App.
    """
    issue, comment = _mapping(payload.get("issue")), _mapping(payload.get("comment"))
    if payload.get("action") != "created":
        return Refused("action", action=str(payload.get("action")))
    if not issue.get("pull_request"):
        return Refused("issue")
    body = str(comment.get("body") or "")
    trigger = parse_command(body)
    if trigger is None:
        return Refused("not_command")
    user = _mapping(comment.get("user"))
    login, association = str(user.get("login")), str(comment.get("author_association") or "NONE")
    if user.get("type") == "Bot" or is_ours(body):
        return Refused("bot", login=login)
    if app_id is not None and _mapping(comment.get("performed_via_github_app")).get("id") == app_id:
        return Refused("this_app", login=login)
    if association not in TRUSTED_ASSOCIATIONS:
        return Refused("untrusted", login=login, association=association)
    return trigger


@dataclass(frozen=True)
class Rerun:
    """A Re-run of the bot's check run: the pull request it names and who asked."""

    number: int
    login: str


def rerun_request(payload: Mapping[str, Any], *, app_id: int | None = None) -> Rerun | Refused:
    """The review a `check_run` payload asks for, or why it asks for none.

    Only `rerequested` on our own check run (name `grok-review`, created by this App when its
    id is known) counts, never from a bot. The payload has no author_association, so
    whether the person may push is checked by the worker (their repository permission, one
    request the webhook handler must not wait for) instead of trusting who could click.
    The pull request is the one GitHub lists, else the one our check run's `external_id`
    names (GitHub lists none for a PR from a fork).
    """
    check = _mapping(payload.get("check_run"))
    sender = _mapping(payload.get("sender"))
    login = str(sender.get("login") or "")
    if payload.get("action") != "rerequested":
        return Refused("action", action=str(payload.get("action")))
    app = _mapping(check.get("app")).get("id")
    if check.get("name") != CHECK_NAME or (app_id is not None and app != app_id):
        return Refused("other_check", login=login)
    if sender.get("type") == "Bot":
        return Refused("bot", login=login)
    number = _pull_number(check)
    if number is None or not login:
        return Refused("no_pull_request", login=login)
    return Rerun(number=number, login=login)


def _pull_number(check: Mapping[str, Any]) -> int | None:
    for pull in check.get("pull_requests") or ():
        number = _mapping(pull).get("number")
        if isinstance(number, int) and number > 0:
            return number
    external = str(check.get("external_id") or "")
    # ASCII digits, few: int() refuses past 4,300 digits (a crash on a signed payload).
    if not (external.isascii() and external.isdigit() and len(external) <= 12):
        return None
    return int(external) if int(external) > 0 else None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
