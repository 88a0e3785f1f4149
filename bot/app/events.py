"""What a webhook delivery asks of us: a review job, a cancel, or a reason to ignore it (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.app.jobs import ReviewJob
from bot.github.triggers import REVIEW_ACTIONS, Refused, comment_command, rerun_request

LOGGED_EVENTS = frozenset({"installation", "installation_repositories"})


@dataclass(frozen=True)
class Enqueue:
    job: ReviewJob


@dataclass(frozen=True)
class Cancel:
    delivery_id: str
    repo: str
    number: int
    reason: str


@dataclass(frozen=True)
class Ignore:
    reason: str


@dataclass(frozen=True)
class Note:
    """An event we only log (installation changes)."""

    reason: str


@dataclass(frozen=True)
class Pong:
    pass


@dataclass(frozen=True)
class Invalid:
    """A signed delivery of a handled event that lacks the fields we need."""

    reason: str


Decision = Enqueue | Cancel | Ignore | Note | Pong | Invalid


def decide(
    event: str, payload: Mapping[str, Any], *, delivery_id: str, app_id: int | None = None
) -> Decision:
    """Map one delivery (event name + parsed body) to what the service should do."""
    if event == "ping":
        return Pong()
    if event in LOGGED_EVENTS:
        return Note(f"{event}.{payload.get('action', '')}")
    if event == "pull_request":
        return _pull_request(payload, delivery_id=delivery_id)
    if event == "issue_comment":
        return _issue_comment(payload, delivery_id=delivery_id, app_id=app_id)
    if event == "check_run":
        return _check_run(payload, delivery_id=delivery_id, app_id=app_id)
    return Ignore(f"event {event!r} is not handled")


def _pull_request(payload: Mapping[str, Any], *, delivery_id: str) -> Decision:
    action = payload.get("action")
    if action != "closed" and action not in REVIEW_ACTIONS:
        return Ignore(f"pull_request.{action} is not handled")
    repo = _repo(payload)
    pr = _mapping(payload.get("pull_request"))
    number = payload.get("number", pr.get("number"))
    if repo is None or not isinstance(number, int):
        return Invalid("pull_request payload without repository.full_name or number")
    if action == "closed":
        return Cancel(delivery_id=delivery_id, repo=repo, number=number, reason="closed")
    head_sha = _mapping(pr.get("head")).get("sha")
    if not isinstance(head_sha, str) or not head_sha:
        return Invalid("pull_request payload without pull_request.head.sha")
    job = ReviewJob(
        delivery_id=delivery_id,
        installation_id=_installation_id(payload),
        repo=repo,
        number=number,
        head_sha=head_sha,
        trigger="auto",
    )
    return Enqueue(job)


def _issue_comment(payload: Mapping[str, Any], *, delivery_id: str, app_id: int | None) -> Decision:
    verdict = comment_command(payload, app_id=app_id)
    if isinstance(verdict, Refused):
        return Ignore(_refusal(verdict))
    issue = _mapping(payload.get("issue"))
    repo, number = _repo(payload), issue.get("number")
    if repo is None or not isinstance(number, int):
        return Invalid("issue_comment payload without repository.full_name or issue.number")
    login = _mapping(_mapping(payload.get("comment")).get("user")).get("login")
    job = ReviewJob(
        delivery_id=delivery_id,
        installation_id=_installation_id(payload),
        repo=repo,
        number=number,
        head_sha=None,
        trigger=verdict,
        requested_by=login if isinstance(login, str) else None,
    )
    return Enqueue(job)


def _check_run(payload: Mapping[str, Any], *, delivery_id: str, app_id: int | None) -> Decision:
    verdict = rerun_request(payload, app_id=app_id)
    if isinstance(verdict, Refused):
        return Ignore(_refusal(verdict, event="check_run"))
    repo = _repo(payload)
    if repo is None:
        return Invalid("check_run payload without repository.full_name")
    # No head SHA: like /review, a re-run reviews the PR's current head. Pinning the check
    # run's commit would let a re-run of an old commit supersede the newest head's review.
    job = ReviewJob(
        delivery_id=delivery_id,
        installation_id=_installation_id(payload),
        repo=repo,
        number=verdict.number,
        head_sha=None,
        trigger="rerun",
        requested_by=verdict.login,
    )
    return Enqueue(job)


def _refusal(refused: Refused, *, event: str = "issue_comment") -> str:
    if refused.why == "action":
        return f"{event}.{refused.action} is not handled"
    if refused.why == "other_check":
        return "check run of another app or name"
    if refused.why == "no_pull_request":
        return "check run names no pull request"
    if refused.why == "issue":
        return "comment on an issue, not a pull request"
    if refused.why == "not_command":
        return "comment is not a /review command"
    if refused.why == "this_app":
        return "comment by this app"
    if refused.why == "untrusted":
        return f"/review from author_association {refused.association} is not allowed"
    return "comment by a bot" if event == "issue_comment" else "re-run by a bot"


def _repo(payload: Mapping[str, Any]) -> str | None:
    name = _mapping(payload.get("repository")).get("full_name")
    return name if isinstance(name, str) and "/" in name else None


def _installation_id(payload: Mapping[str, Any]) -> int | None:
    value = _mapping(payload.get("installation")).get("id")
    return value if isinstance(value, int) else None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
