"""Which GitHub events and comments ask for a review — shared by the Action and the App (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from bot.github.markers import PREFIX, is_ours

Trigger = Literal["auto", "command", "command_full"]

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

    why: Literal["action", "issue", "not_command", "bot", "this_app", "untrusted"]
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


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
