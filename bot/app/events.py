"""What a webhook delivery asks of us: a review job, a cancel, or a reason to ignore it (pure)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from bot.app.jobs import ReviewJob
from bot.github.triggers import (
    REVIEW_ACTIONS,
    Refused,
    comment_command,
    describe_refusal,
    rerun_request,
    review_reply,
)

LOGGED_EVENTS = frozenset({"installation", "installation_repositories"})
# Every event decide() acts on; any other is ignored (and counted as "other" in the metrics).
HANDLED_EVENTS = LOGGED_EVENTS | {
    "ping",
    "pull_request",
    "issue_comment",
    "check_run",
    "pull_request_review_comment",
}


@dataclass(frozen=True)
class Enqueue:
    job: ReviewJob
    # Stays the same when a captured signed body is replayed under a new X-GitHub-Delivery
    # (the signature does not cover that header): the store accepts each key once.
    replay_key: str = ""


@dataclass(frozen=True)
class Cancel:
    delivery_id: str
    repo: str
    number: int
    reason: str
    replay_key: str = ""


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
    """A signed delivery of a handled event that lacks the fields we need, or has odd ones."""

    reason: str


Decision = Enqueue | Cancel | Ignore | Note | Pong | Invalid

# What the fields we use must look like. Signed does not mean sane: a bug or a test tool can
# send `number: true`, an id of 2**70 or a megabyte for a SHA, and each would go into the job
# store, the GitHub API and logs.
MAX_NUMBER = 2**31 - 1  # PR and issue numbers
MAX_ID = 2**63 - 1  # GitHub database ids (installation, comment): SQLite's INTEGER
_SHA = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")  # SHA-1, or SHA-256 repositories
_REPO = re.compile(r"[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}")
_LOGIN_MAX = 100
_SHOWN = 60  # characters of an odd value quoted back in a reason


def decide(
    event: str,
    payload: Mapping[str, Any],
    *,
    delivery_id: str,
    app_id: int | None = None,
    body_digest: str = "",
) -> Decision:
    """Map one delivery (event name + parsed body) to what the service should do.

    body_digest: a hash of the raw signed body, which a replay cannot change.
    """
    if event == "ping":
        return Pong()
    action = payload.get("action")
    if action is not None and not isinstance(action, str):
        return Invalid(f"{event}: action is not a string")
    if event in LOGGED_EVENTS:
        return Note(f"{event}.{_shown(action or '')}")
    if event == "pull_request":
        return _pull_request(payload, action, delivery_id=delivery_id, digest=body_digest)
    if event == "issue_comment":
        return _issue_comment(payload, delivery_id=delivery_id, app_id=app_id)
    if event == "check_run":
        return _check_run(payload, delivery_id=delivery_id, app_id=app_id, digest=body_digest)
    if event == "pull_request_review_comment":
        return _review_comment(payload, delivery_id=delivery_id, app_id=app_id)
    return Ignore(f"event {_shown(event)!r} is not handled")


def _pull_request(
    payload: Mapping[str, Any], action: str | None, *, delivery_id: str, digest: str
) -> Decision:
    if action != "closed" and action not in REVIEW_ACTIONS:
        return Ignore(f"pull_request.{_shown(action or '')} is not handled")
    pr = _mapping(payload.get("pull_request"))
    repo, number = _repo(payload), _bounded(payload.get("number", pr.get("number")), MAX_NUMBER)
    if repo is None or number is None:
        return Invalid("pull_request payload without a valid repository.full_name or number")
    installation = _installation_id(payload)
    if installation is False:
        return Invalid("pull_request payload with an invalid installation.id")
    key = _body_key(digest)
    if action == "closed":
        return Cancel(delivery_id, repo, number, "closed", replay_key=key)
    head_sha = _mapping(pr.get("head")).get("sha")
    if not isinstance(head_sha, str) or not _SHA.fullmatch(head_sha):
        return Invalid("pull_request payload without a valid pull_request.head.sha")
    job = ReviewJob(
        delivery_id=delivery_id,
        installation_id=installation,
        repo=repo,
        number=number,
        head_sha=head_sha,
        trigger="auto",
    )
    return Enqueue(job, replay_key=key)


def _issue_comment(payload: Mapping[str, Any], *, delivery_id: str, app_id: int | None) -> Decision:
    verdict = comment_command(payload, app_id=app_id)
    if isinstance(verdict, Refused):
        return Ignore(describe_refusal(verdict))
    issue, comment = _mapping(payload.get("issue")), _mapping(payload.get("comment"))
    repo, number = _repo(payload), _bounded(issue.get("number"), MAX_NUMBER)
    if repo is None or number is None:
        return Invalid("issue_comment payload without a valid repository.full_name or number")
    comment_id = _bounded(comment.get("id"), MAX_ID)
    installation = _installation_id(payload)
    if comment_id is None or installation is False:
        return Invalid("issue_comment payload with an invalid comment.id or installation.id")
    job = ReviewJob(
        delivery_id=delivery_id,
        installation_id=installation,
        repo=repo,
        number=number,
        head_sha=None,
        trigger=verdict,
        requested_by=_login(_mapping(comment.get("user")).get("login")),
        comment_id=comment_id,
    )
    # A comment asks once: the same comment replayed (or delivered again) is the same request.
    # The store remembers it for DELIVERY_TTL_S; after that the comment id still names the
    # review's run (ReviewJob.run_key), so GitHub itself says it was done.
    return Enqueue(job, replay_key=f"comment:{comment_id}")


def _review_comment(
    payload: Mapping[str, Any], *, delivery_id: str, app_id: int | None
) -> Decision:
    """A reply in a review thread that may be for the bot: an answer job (the worker checks
    that the thread is the bot's and that the person may push)."""
    verdict = review_reply(payload, app_id=app_id)
    if isinstance(verdict, Refused):
        return Ignore(describe_refusal(verdict, event="pull_request_review_comment"))
    repo, number = _repo(payload), _bounded(verdict.number, MAX_NUMBER)
    comment_id, installation = _bounded(verdict.comment_id, MAX_ID), _installation_id(payload)
    if repo is None or number is None or comment_id is None or installation is False:
        return Invalid(
            "pull_request_review_comment payload without a valid repository, pull request, "
            "comment.id or installation.id"
        )
    job = ReviewJob(
        delivery_id=delivery_id,
        installation_id=installation,
        repo=repo,
        number=number,
        head_sha=None,
        trigger="reply",
        requested_by=_login(verdict.login),
        comment_id=comment_id,
    )
    # One reply asks once, however often it is delivered (its ids differ from issue comments').
    return Enqueue(job, replay_key=f"review-comment:{comment_id}")


def _check_run(
    payload: Mapping[str, Any], *, delivery_id: str, app_id: int | None, digest: str
) -> Decision:
    verdict = rerun_request(payload, app_id=app_id)
    if isinstance(verdict, Refused):
        return Ignore(describe_refusal(verdict, event="check_run"))
    repo, number = _repo(payload), _bounded(verdict.number, MAX_NUMBER)
    installation = _installation_id(payload)
    if repo is None or number is None or installation is False:
        return Invalid("check_run payload without a valid repository, pull request or installation")
    # No head SHA: like /review, a re-run reviews the PR's current head. Pinning the check
    # run's commit would let a re-run of an old commit supersede the newest head's review.
    job = ReviewJob(
        delivery_id=delivery_id,
        installation_id=installation,
        repo=repo,
        number=number,
        head_sha=None,
        trigger="rerun",
        requested_by=_login(verdict.login),
    )
    # A click is its body (the check run, who clicked): replayed, it is the same click.
    return Enqueue(job, replay_key=_body_key(digest))


def _repo(payload: Mapping[str, Any]) -> str | None:
    name = _mapping(payload.get("repository")).get("full_name")
    return name if isinstance(name, str) and _REPO.fullmatch(name) else None


def _installation_id(payload: Mapping[str, Any]) -> int | Literal[False] | None:
    """The installation id; None without one (a plain token); False when it is odd."""
    value = _mapping(payload.get("installation")).get("id")
    return None if value is None else (_bounded(value, MAX_ID) or False)


def _login(value: Any) -> str | None:
    """Who asked, when it is a login of a sane length (it goes into the store and logs)."""
    return value if isinstance(value, str) and len(value) <= _LOGIN_MAX else None


def _body_key(digest: str) -> str:
    """The replay key of a delivery that is its body (a push, a close, a click)."""
    return f"body:{digest}" if digest else ""


def _bounded(value: Any, high: int) -> int | None:
    """`value` when it is an int (not a bool) from 1 to `high`, else None."""
    if type(value) is not int or not 1 <= value <= high:
        return None
    return value


def _shown(value: str) -> str:
    return value if len(value) <= _SHOWN else value[:_SHOWN] + "…"


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
