"""What one Action run is asked to do (pure): the event decided, the `with:` inputs checked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from bot.config import DEFAULT_CONFIG_PATH, RepoConfig, describe_key_errors
from bot.errors import UsageError
from bot.github.triggers import (
    REVIEW_ACTIONS,
    Refused,
    Talk,
    Trigger,
    comment_command,
    describe_refusal,
    review_reply,
)

PostMode = Literal["review", "annotations", "both"]
POST_MODES: tuple[PostMode, ...] = ("review", "annotations", "both")


@dataclass(frozen=True)
class ActionInput:
    """Where one `with:` input goes: a Settings field, a RepoConfig key, or the Action itself."""

    env: str
    target: Literal["settings", "config", "action"]
    field: str


# The runner gives a composite action's steps no INPUT_* variables of its own: action.yml
# passes each input as the variable named here. These names are read only by this module, so
# an empty input falls back to the environment (GROK_REVIEW_MODEL, …) and then the default.

INPUTS: dict[str, ActionInput] = {
    "xai-api-key": ActionInput("INPUT_XAI_API_KEY", "settings", "api_key"),
    "github-token": ActionInput("INPUT_GITHUB_TOKEN", "settings", "github_token"),
    "model": ActionInput("INPUT_MODEL", "settings", "model"),
    "base-url": ActionInput("INPUT_BASE_URL", "settings", "base_url"),
    "config": ActionInput("INPUT_CONFIG", "action", "config_path"),  # review-pr --config
    "min-severity": ActionInput("INPUT_MIN_SEVERITY", "config", "min_severity"),
    "max-comments": ActionInput("INPUT_MAX_COMMENTS", "config", "max_comments"),
    "fail-on": ActionInput("INPUT_FAIL_ON", "config", "fail_on"),
    "post": ActionInput("INPUT_POST", "action", "post"),
}


@dataclass(frozen=True)
class Request:
    """A pull request event to review."""

    number: int
    trigger: Trigger
    head_sha: str | None  # the payload's PR head (never GITHUB_SHA); None for comments
    fork: bool  # the head lives in another repository: the token is read-only
    comment_id: int | None = None  # the `/review` comment that asked, if one did


@dataclass(frozen=True)
class Answer:
    """A comment to answer: an `/ask`, or a reply in one of the bot's review threads."""

    kind: Talk
    number: int
    comment_id: int


@dataclass(frozen=True)
class Ignored:
    reason: str


@dataclass(frozen=True)
class Options:
    post: PostMode
    config_path: str
    overrides: dict[str, Any]  # RepoConfig keys set by inputs
    settings: dict[str, str | None]  # Settings fields set by inputs (None: not set)


def is_fork(pr: Mapping[str, Any]) -> bool:
    """A head in another repository (or a deleted one): GitHub gives it a read-only token."""
    head_repo = (pr.get("head") or {}).get("repo") or {}
    base_repo = (pr.get("base") or {}).get("repo") or {}
    return head_repo.get("full_name") != base_repo.get("full_name")


def decide(event: str, payload: Mapping[str, Any]) -> Request | Answer | Ignored:
    """What to do with one event: review a pull request, answer a comment, or why not."""
    action = payload.get("action")
    if event == "pull_request":
        if action not in REVIEW_ACTIONS:
            return Ignored(f"grok-review: pull_request '{action}' needs no review")
        pr = payload["pull_request"]
        return Request(
            number=int(pr["number"]),
            trigger="auto",
            head_sha=pr["head"]["sha"],
            fork=is_fork(pr),
        )
    if event == "issue_comment":
        return _decide_comment(payload)
    if event == "pull_request_review_comment":
        reply = review_reply(payload)
        if isinstance(reply, Refused):
            return Ignored(
                "grok-review: " + describe_refusal(reply, event="pull_request_review_comment")
            )
        return Answer("reply", reply.number, reply.comment_id)
    return Ignored(
        f"grok-review: event '{event}' is not handled; it handles pull_request, issue_comment "
        "(/review, /ask) and pull_request_review_comment (replies to its comments) events"
    )


def _decide_comment(payload: Mapping[str, Any]) -> Request | Answer | Ignored:
    verdict = comment_command(payload)
    if isinstance(verdict, Refused):
        return Ignored("grok-review: " + describe_refusal(verdict))
    number = int((payload.get("issue") or {})["number"])
    comment_id = int((payload.get("comment") or {})["id"])
    if verdict == "ask":
        return Answer("ask", number, comment_id)
    return Request(number=number, trigger=verdict, head_sha=None, fork=False, comment_id=comment_id)


def input_names(target: Literal["settings", "config"]) -> dict[str, str]:
    """Field -> "input NAME", so an error names the `with:` input the user wrote."""
    return {spec.field: f"input {name}" for name, spec in INPUTS.items() if spec.target == target}


def read_options(env: Mapping[str, str]) -> Options:
    """The inputs, checked: a bad value is a UsageError naming the input."""

    def value(name: str) -> str | None:
        return (env.get(INPUTS[name].env) or "").strip() or None

    modes: dict[str, PostMode] = {m: m for m in POST_MODES}
    post = modes.get(value("post") or "review")
    if post is None:
        raise UsageError(f"input post: expected review, annotations or both, not {value('post')!r}")
    overrides: dict[str, Any] = {}
    for name, spec in INPUTS.items():
        raw = value(name)
        if spec.target == "config" and raw is not None:
            overrides[spec.field] = raw
    try:
        RepoConfig.model_validate(overrides)
    except ValidationError as exc:
        raise UsageError(describe_key_errors(exc, names=input_names("config"))) from None
    settings = {s.field: value(n) for n, s in INPUTS.items() if s.target == "settings"}
    return Options(
        post=post,
        config_path=value("config") or DEFAULT_CONFIG_PATH,
        overrides=overrides,
        settings=settings,
    )
