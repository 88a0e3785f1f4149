"""The GitHub Action's entry point (`python -m bot.action`): event, review, annotations, outputs."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

from pydantic import ValidationError

from bot.annotations import (
    count_findings,
    render_step_summary,
    review_annotations,
    workflow_command,
)
from bot.config import DEFAULT_CONFIG_PATH, FailOn, RepoConfig, describe_validation_error
from bot.errors import BotError, UsageError, exit_code_of
from bot.formats import usage_line
from bot.models import Review
from bot.settings import Settings, load_settings
from bot.triggers import REVIEW_ACTIONS, TRUSTED_ASSOCIATIONS, Trigger, parse_command

if TYPE_CHECKING:
    from bot.github_api import GitHubClient
    from bot.github_review import GitHubOutcome

PostMode = Literal["review", "annotations", "both"]
POST_MODES: tuple[PostMode, ...] = ("review", "annotations", "both")
PR_ACTIONS = REVIEW_ACTIONS


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

NO_KEY = (
    "grok-review: no xAI API key, so nothing was reviewed. Set the xai-api-key input from a "
    "repository secret. Pull requests from forks get no secrets, so this is expected there: "
    "a maintainer can comment /review on the pull request, or see the Action's docs for the "
    "workflow_run pattern. Never use pull_request_target with a checkout of the PR head."
)
FORK_NOTE = (
    "grok-review: this pull request comes from a fork, so the workflow token cannot write; "
    "the review is shown here and as annotations instead of being posted."
)
SHOWN_HERE = "it is shown here and as annotations instead."
MAX_ERROR_LINES = 5


@dataclass(frozen=True)
class Request:
    """A pull request event to review."""

    number: int
    trigger: Trigger
    head_sha: str | None  # the payload's PR head (never GITHUB_SHA); None for comments
    fork: bool  # the head lives in another repository: the token is read-only
    base_sha: str | None = None


@dataclass(frozen=True)
class Ignored:
    reason: str


@dataclass(frozen=True)
class Options:
    post: PostMode
    config_path: str
    overrides: dict[str, Any]  # RepoConfig keys set by inputs
    settings: dict[str, str | None]  # Settings fields set by inputs (None: not set)
    fail_on: FailOn | None = None  # the fail-on input, when given


# --- deciding (pure) -----------------------------------------------------------------------


def is_fork(pr: Mapping[str, Any]) -> bool:
    """A head in another repository (or a deleted one): GitHub gives it a read-only token."""
    head_repo = (pr.get("head") or {}).get("repo") or {}
    base_repo = (pr.get("base") or {}).get("repo") or {}
    return head_repo.get("full_name") != base_repo.get("full_name")


def decide(event: str, payload: Mapping[str, Any]) -> Request | Ignored:
    """What to do with one event: review a pull request, or why not."""
    action = payload.get("action")
    if event == "pull_request":
        if action not in PR_ACTIONS:
            return Ignored(f"grok-review: pull_request '{action}' needs no review")
        pr = payload["pull_request"]
        return Request(
            number=int(pr["number"]),
            trigger="auto",
            head_sha=pr["head"]["sha"],
            fork=is_fork(pr),
            base_sha=(pr.get("base") or {}).get("sha"),
        )
    if event == "issue_comment":
        return _decide_comment(payload)
    return Ignored(
        f"grok-review: event '{event}' is not handled; it reviews pull_request and "
        "issue_comment (/review) events"
    )


def _decide_comment(payload: Mapping[str, Any]) -> Request | Ignored:
    issue, comment = payload.get("issue") or {}, payload.get("comment") or {}
    if payload.get("action") != "created":
        return Ignored(f"grok-review: issue_comment '{payload.get('action')}' needs no review")
    if not issue.get("pull_request"):
        return Ignored("grok-review: a comment on an issue, not on a pull request")
    trigger = parse_command(comment.get("body") or "")
    if trigger is None:
        return Ignored("grok-review: the comment is not a /review command")
    user = comment.get("user") or {}
    if user.get("type") == "Bot":
        return Ignored("grok-review: /review from a bot is ignored")
    association = comment.get("author_association") or "NONE"
    if association not in TRUSTED_ASSOCIATIONS:
        return Ignored(
            f"grok-review: /review from {user.get('login')} ({association}) is ignored: "
            "only owners, members and collaborators may ask for a review"
        )
    return Request(number=int(issue["number"]), trigger=trigger, head_sha=None, fork=False)


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
        checked = RepoConfig.model_validate(overrides)
    except ValidationError as exc:
        names = {spec.field: name for name, spec in INPUTS.items()}
        message = describe_validation_error(exc)
        for key, name in names.items():
            message = message.replace(f"'{key}'", f"'{name}'")
        raise UsageError(f"input {message}") from None
    settings = {s.field: value(n) for n, s in INPUTS.items() if s.target == "settings"}
    return Options(
        post=post,
        config_path=value("config") or DEFAULT_CONFIG_PATH,
        overrides=overrides,
        settings=settings,
        fail_on=checked.fail_on if "fail_on" in overrides else None,
    )


# --- running (I/O) ---------------------------------------------------------------------------


def read_event(env: Mapping[str, str]) -> tuple[str, dict[str, Any]]:
    name, path = env.get("GITHUB_EVENT_NAME"), env.get("GITHUB_EVENT_PATH")
    if not name or not path:
        raise UsageError("not in GitHub Actions: GITHUB_EVENT_NAME and GITHUB_EVENT_PATH unset")
    try:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read the event payload {path}: {exc}") from None
    if not isinstance(payload, dict):
        raise UsageError(f"the event payload {path} is not a JSON object")
    return name, payload


def run(env: Mapping[str, str], out: IO[str]) -> int:
    """One Action run; returns the step's exit code."""
    event, payload = read_event(env)
    decision = decide(event, payload)
    if isinstance(decision, Ignored):
        print(workflow_command("notice", decision.reason), file=out)
        write_outputs(env, None, posted=False, url=None)
        return 0
    options = read_options(env)
    settings = load_settings(**options.settings)
    if not settings.api_key:
        print(workflow_command("notice", NO_KEY), file=out)
        write_summary(env, render_step_summary(None, notes=[NO_KEY]))
        write_outputs(env, None, posted=False, url=None)
        return 0
    repo = env.get("GITHUB_REPOSITORY") or (payload.get("repository") or {}).get("full_name")
    if not repo:
        raise UsageError("GITHUB_REPOSITORY is not set")
    return review_and_report(env, out, settings, options, repo=repo, request=decision)


def review_and_report(
    env: Mapping[str, str],
    out: IO[str],
    settings: Settings,
    options: Options,
    *,
    repo: str,
    request: Request,
) -> int:
    """Review (posting unless a fork or `post: annotations`), then report to the job."""
    from bot.github_api import GitHubClient
    from bot.github_review import review_pull_request

    post = options.post != "annotations" and not request.fork
    notes = [FORK_NOTE] if request.fork and options.post != "annotations" else []
    at = f" at {request.head_sha[:7]}" if request.head_sha else ""
    print(f"grok-review: reviewing {repo}#{request.number}{at} ({request.trigger})", file=out)
    client = GitHubClient.from_token(settings)
    outcome = review_pull_request(
        settings,
        client,
        repo=repo,
        number=request.number,
        trigger=request.trigger,
        post=post,
        config_path=options.config_path,
        overrides=options.overrides,
        expected_head=request.head_sha,
        checks=post,
        # Stable across re-runs of one workflow run: a re-run finds the review it posted.
        run_key=f"action-{env['GITHUB_RUN_ID']}" if env.get("GITHUB_RUN_ID") else None,
    )
    code = conclude(out, outcome, post=post, notes=notes)
    if outcome.review is not None and (not outcome.posted or options.post != "review"):
        fail_on = effective_fail_on(client, options, repo=repo, base_sha=request.base_sha)
        annotate(out, outcome.review, fail_on=fail_on)
    report(env, out, outcome.review, notes=notes, posted=outcome.posted, url=outcome.review_url)
    return code


def conclude(out: IO[str], outcome: GitHubOutcome, *, post: bool, notes: list[str]) -> int:
    """The exit code, and what to tell about the outcome (appended to `notes`)."""
    code = outcome.exit_code
    if post and outcome.review is not None and not outcome.posted and code == 2:
        # The token may read but not write: expected for an Action (no `pull-requests:
        # write`), so the findings go to annotations and the summary instead, exit 0.
        notes.append(f"grok-review: could not post the review ({outcome.error}); {SHOWN_HERE}")
        code = 0
    elif outcome.error:
        print(workflow_command("error", f"grok-review: {outcome.error}"), file=out)
    notes += [f"grok-review: {n}" for n in outcome.notes]
    if outcome.skipped_reason and not outcome.error and not outcome.notes:
        notes.append(f"grok-review: not reviewed: {outcome.skipped_reason}")
    if outcome.posted:
        notes.append(f"grok-review: posted {outcome.review_url or 'the review'}")
    return code


def annotate(out: IO[str], review: Review, *, fail_on: FailOn) -> None:
    for line in review_annotations(review, fail_on=fail_on):
        print(line, file=out)


def report(
    env: Mapping[str, str],
    out: IO[str],
    review: Review | None,
    *,
    notes: Sequence[str],
    posted: bool,
    url: str | None,
) -> None:
    """Notes, failures and the usage line in the log; the step summary; the step's outputs."""
    for note in notes:
        print(" ".join(note.split()), file=out)
    for error in review.errors[:MAX_ERROR_LINES] if review else ():
        failed = f"grok-review: part of the review failed: {error}"
        print(workflow_command("error", failed), file=out)
    if review is not None:
        line = usage_line(review.usage, model=review.model, served_model=review.served_model)
        print(f"grok-review: {line}", file=out)
    if review is not None or notes:
        write_summary(env, render_step_summary(review, notes=notes))
    write_outputs(env, review, posted=posted, url=url)


def effective_fail_on(
    client: GitHubClient, options: Options, *, repo: str, base_sha: str | None
) -> FailOn:
    """fail_on as the review applied it (input, else the base branch's config), for levels."""
    from bot.config import parse_config

    if options.fail_on is not None:
        return options.fail_on
    if not base_sha:
        return "none"
    try:
        text = client.fetch_file(repo, options.config_path, ref=base_sha)
        return parse_config(text or "", source=options.config_path).fail_on
    except BotError:
        return "none"


def write_summary(env: Mapping[str, str], markdown: str) -> None:
    path = env.get("GITHUB_STEP_SUMMARY")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(markdown if markdown.endswith("\n") else markdown + "\n")


def write_outputs(
    env: Mapping[str, str], review: Review | None, *, posted: bool, url: str | None
) -> None:
    """`findings`, `comments-posted`, `cost-usd`, `review-url` for the job's later steps."""
    values = {
        "findings": count_findings(review) if review else 0,
        "comments-posted": len(review.comments) if review and posted else 0,
        "cost-usd": f"{review.usage.cost_usd:.4f}" if review else "0.0000",
        "review-url": url or "",
    }
    path = env.get("GITHUB_OUTPUT")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.writelines(f"{name}={' '.join(str(v).split())}\n" for name, v in values.items())


def main(environ: Mapping[str, str] | None = None, out: IO[str] | None = None) -> int:
    env = os.environ if environ is None else environ
    stream = out or sys.stdout
    return exit_code_of(
        lambda: run(env, stream),
        on_error=lambda exc: print(workflow_command("error", f"grok-review: {exc}"), file=stream),
        on_interrupt=lambda: print("grok-review: interrupted", file=stream),
    )


if __name__ == "__main__":
    sys.exit(main())
