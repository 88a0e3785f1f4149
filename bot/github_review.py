"""Review a GitHub pull request: fetch, decide, review, submit exactly once (CLI, Action, app)."""

from __future__ import annotations

import argparse
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError

from bot.config import DEFAULT_CONFIG_PATH, RepoConfig, describe_validation_error, parse_config
from bot.errors import BotError, ConfigError, GitHubAccessError, GitHubError, UsageError
from bot.findings import blocking
from bot.github_api import BotItem, Event, FetchedPull, GitHubClient, GitHubRateLimited
from bot.github_render import (
    CHECK_NAME,
    CONFIG_ERROR_MARKER,
    base_marker,
    build_annotations,
    check_conclusion,
    comment_payload,
    has_run_marker,
    render_check_output,
    render_config_error,
    render_notice,
    render_review_body,
    reviewed_heads,
    split_postable,
)
from bot.markdown import find_fingerprints
from bot.models import FileDiff, Plan, PullRequest, Review, SkippedFile
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.app.jobs import JobContext, JobResult, ResultStatus, ReviewJob
    from bot.llm import ProgressEvent
    from bot.review import Prepared

Trigger = Literal["cli", "auto", "command", "command_full"]
_REF = re.compile(r"(?P<repo>[\w.-]+/[\w.-]+)#(?P<number>\d+)")
_URL = re.compile(
    r"https?://[^/\s]+(?:/[^\s]*)?/(?P<repo>[\w.-]+/[\w.-]+)/pulls?/(?P<number>\d+)(?:[/?#]\S*)?"
)
INSTALLATION_CLIENT_TTL_S = 50 * 60  # installation tokens live an hour


def _sleep(seconds: float) -> None:
    time.sleep(seconds)  # one seam, so tests can see the waits without waiting


def parse_pr_ref(text: str) -> tuple[str, int]:
    """`OWNER/REPO#N` or a pull request URL (github.com or Enterprise) -> (repo, number)."""
    text = text.strip()
    match = _REF.fullmatch(text) or _URL.fullmatch(text)
    if match is None or any(p in (".", "..") for p in match["repo"].split("/")):
        raise UsageError(
            f"not a pull request: {text!r} (use OWNER/REPO#N or "
            "https://github.com/OWNER/REPO/pull/N)"
        )
    number = int(match["number"])
    if number < 1:
        raise UsageError(f"not a pull request number: {number}")
    return match["repo"], number


@dataclass(frozen=True)
class GitHubOutcome:
    """What one run did. `exit_code` follows DESIGN.md (0, 1 fail_on, 2 setup, 3 upstream)."""

    review: Review | None = None
    posted: bool = False
    review_url: str | None = None
    skipped_reason: str | None = None  # "draft", "already reviewed", "superseded", …
    exit_code: int = 0
    notes: tuple[str, ...] = ()
    error: str | None = None  # why the run failed, one line
    plan: Plan | None = None  # set by dry runs
    head_sha: str | None = None


@dataclass(frozen=True)
class _Run:
    """The settled facts of one run, passed between its stages."""

    settings: Settings
    client: GitHubClient
    fetched: FetchedPull
    config: RepoConfig
    trigger: Trigger
    run_key: str
    checks: bool
    reviews: tuple[BotItem, ...]
    notes: list[str] = field(default_factory=list)
    stop: Callable[[], bool] = field(default=lambda: False)  # asked again before every POST

    @property
    def pr(self) -> PullRequest:
        return self.fetched.pr

    @property
    def repo(self) -> str:
        return self.fetched.pr.repo or ""

    @property
    def number(self) -> int:
        return self.fetched.pr.number or 0

    @property
    def head(self) -> str:
        return self.fetched.pr.head_sha or ""


@dataclass(frozen=True)
class _Scope:
    files: tuple[FileDiff, ...]
    reviewed_range: str
    incremental: bool


def apply_overrides(config: RepoConfig, overrides: Mapping[str, Any] | None) -> RepoConfig:
    """Flags / Action inputs win over the config file, validated the same way."""
    if not overrides:
        return config
    try:
        return RepoConfig.model_validate({**config.model_dump(), **overrides})
    except ValidationError as exc:
        raise UsageError(describe_validation_error(exc)) from None


def skip_reason(
    pr: PullRequest, config: RepoConfig, *, trigger: Trigger, heads: Sequence[str]
) -> str | None:
    """Why an automatic run leaves this PR alone; people's commands are never skipped."""
    if trigger != "auto":
        return None
    if not config.enabled:
        return "disabled by config"
    if pr.draft and not config.review_drafts:
        return "draft"
    if pr.author_is_bot and not config.review_bot_prs:
        return "bot author"
    if set(pr.labels) & set(config.skip_labels):
        return "skip label"
    if pr.head_sha in heads:
        return "already reviewed"
    return None


def split_unreviewable(
    files: Sequence[FileDiff],
) -> tuple[tuple[FileDiff, ...], tuple[SkippedFile, ...]]:
    """Set aside what GitHub sent no patch for, with the reason (deletions go to the filter)."""
    kept: list[FileDiff] = []
    skipped: list[SkippedFile] = []
    for f in files:
        if f.status != "deleted" and (f.patch_missing or (f.binary and not f.hunks)):
            reason = "too_large_for_github" if f.patch_missing else "binary"
            skipped.append(SkippedFile(path=f.path, reason=reason))
        else:
            kept.append(f)
    return tuple(kept), tuple(skipped)


def _all_heads(reviews: Sequence[BotItem]) -> list[str]:
    return [sha for r in reviews for sha in reviewed_heads(r.body)]


def _short_range(base: str | None, head: str) -> str:
    return f"{(base or '')[:7]}..{head[:7]}"


def _choose_scope(run: _Run) -> _Scope:
    """Incremental (last reviewed head..head) when that is an ancestor; else the whole PR."""
    pr = run.pr
    full = _Scope(pr.files, _short_range(pr.base_sha, run.head), incremental=False)
    heads = _all_heads(run.reviews)
    last = heads[-1] if heads else None
    if run.trigger == "command_full" or not run.config.incremental or last in (None, run.head):
        return full
    assert last is not None
    comparison = run.client.compare(run.repo, last, run.head)
    if comparison is None or comparison.status != "ahead" or comparison.truncated:
        return full  # a force-push (or a huge push): review everything, dedupe keeps it quiet
    in_pr = {f.path for f in pr.files}
    files = tuple(f for f in comparison.files if f.path in in_pr)
    return _Scope(files, _short_range(last, run.head), incremental=True)


def _posted_fingerprints(run: _Run) -> set[str]:
    comments = run.client.list_bot_review_comments(run.repo, run.number)
    bodies = [c.body for c in comments] + [r.body for r in run.reviews]
    return {fp for body in bodies for fp in find_fingerprints(body)}


def _load_config(client: GitHubClient, pr: PullRequest, config_path: str) -> RepoConfig:
    # The base commit, never the head: a PR must not switch off or soften its own review.
    text = client.fetch_file(pr.repo or "", config_path, ref=pr.base_sha or "")
    return RepoConfig() if text is None else parse_config(text, source=config_path)


def _config_failure(
    client: GitHubClient, pr: PullRequest, exc: ConfigError, *, post: bool, config_path: str
) -> GitHubOutcome:
    """An invalid base config never skips silently: one comment per base commit, exit 2."""
    notes: list[str] = []
    if post:
        base = pr.base_sha or ""
        marker = base_marker(base)
        earlier = client.list_bot_issue_comments(pr.repo or "", pr.number or 0)
        if any(CONFIG_ERROR_MARKER in c.body and marker in c.body for c in earlier):
            notes.append("the configuration error is already reported on the pull request")
        else:
            body = render_config_error(exc.message, base_sha=base, config_path=config_path)
            try:
                client.create_issue_comment(pr.repo or "", pr.number or 0, body)
                notes.append("posted a comment about the configuration error")
            except GitHubError as failed:
                notes.append(f"could not comment about the configuration error: {failed}")
    return GitHubOutcome(
        skipped_reason="invalid config",
        exit_code=2,
        error=exc.message,
        notes=tuple(notes),
        head_sha=pr.head_sha,
    )


def review_pull_request(
    settings: Settings,
    client: GitHubClient,
    *,
    repo: str,
    number: int,
    trigger: Trigger,
    post: bool,
    config_path: str = DEFAULT_CONFIG_PATH,
    overrides: Mapping[str, Any] | None = None,
    expected_head: str | None = None,
    on_event: Callable[[ProgressEvent], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    checks: bool = True,
    dry_run: bool = False,
    run_key: str | None = None,
) -> GitHubOutcome:
    """Fetch the PR, decide whether and what to review, review it and (with `post`) submit.

    `run_key` names this run in the posted review (the app passes the webhook delivery id),
    so a retried or re-delivered run finds its own review instead of posting another.
    """
    stop = cancelled or (lambda: False)
    fetched = client.fetch_pull_request(repo, number)
    pr = fetched.pr
    if expected_head and pr.head_sha != expected_head:
        return GitHubOutcome(skipped_reason="superseded", head_sha=pr.head_sha)
    if trigger == "auto" and fetched.state != "open":
        return GitHubOutcome(skipped_reason="closed", head_sha=pr.head_sha)
    try:
        config = _load_config(client, pr, config_path)
    except ConfigError as exc:
        return _config_failure(client, pr, exc, post=post, config_path=config_path)
    config = apply_overrides(config, overrides)
    reviews = tuple(client.list_bot_reviews(repo, number))
    reason = skip_reason(pr, config, trigger=trigger, heads=_all_heads(reviews))
    if reason is not None:
        return GitHubOutcome(skipped_reason=reason, head_sha=pr.head_sha)
    run = _Run(
        settings=settings,
        client=client,
        fetched=fetched,
        config=config,
        trigger=trigger,
        run_key=run_key or uuid.uuid4().hex,
        checks=checks,
        reviews=reviews,
        stop=stop,
    )
    return _review(run, post=post, dry_run=dry_run, on_event=on_event, stop=stop)


def _review(
    run: _Run,
    *,
    post: bool,
    dry_run: bool,
    on_event: Callable[[ProgressEvent], None] | None,
    stop: Callable[[], bool],
) -> GitHubOutcome:
    from bot.review import ask_model, assemble_review, prepare_review

    superseded = GitHubOutcome(skipped_reason="superseded", head_sha=run.head)
    scope = _choose_scope(run)
    files, extra = split_unreviewable(scope.files)
    agents_md = run.client.fetch_file(run.repo, "AGENTS.md", ref=run.pr.base_sha or "")
    reviewed_pr = run.pr.model_copy(update={"files": files})
    prepared = prepare_review(
        reviewed_pr, run.config, run.settings, agents_md=agents_md, extra_skipped=extra
    )
    if dry_run:
        return GitHubOutcome(plan=prepared.plan, head_sha=run.head)
    if scope.incremental and not prepared.plan.chunks:
        return GitHubOutcome(skipped_reason="nothing new to review", head_sha=run.head)
    posted = _posted_fingerprints(run)
    if stop():
        return superseded
    results = ask_model(prepared, run.settings, on_event=on_event)
    if stop():
        return superseded
    anchor, rng = run.pr.files, scope.reviewed_range
    review = assemble_review(
        prepared,
        results,
        anchor_files=anchor,
        posted_fingerprints=sorted(posted),
        reviewed_range=rng,
    )
    # Blocking is judged on every finding, posted before or not: a problem that is still
    # there still fails the check and keeps a request for changes in force.
    everything = assemble_review(prepared, results, anchor_files=anchor, reviewed_range=rng)
    blocks = blocking([*everything.comments, *everything.overflow], run.config.fail_on)
    code = 1 if blocks else (3 if review.errors else 0)
    if not post:
        return GitHubOutcome(review=review, exit_code=code, head_sha=run.head)
    try:
        return _publish(run, prepared, review, blocks=blocks, code=code)
    except _Stopped:
        return superseded
    except BotError as exc:
        return GitHubOutcome(
            review=review,
            exit_code=exc.exit_code if exc.exit_code == 2 or not blocks else 1,
            error=exc.message,
            notes=tuple(run.notes),
            head_sha=run.head,
        )


def _publish(
    run: _Run, prepared: Prepared, review: Review, *, blocks: bool, code: int
) -> GitHubOutcome:
    inline, moved = split_postable(review.comments, run.pr.files)
    nothing_new = not (inline or moved or review.unanchored or review.overflow)
    if nothing_new and run.head in _all_heads(run.reviews):
        # A repeated command on a reviewed head found nothing that is not on the PR yet.
        return GitHubOutcome(
            review=review,
            skipped_reason="already reviewed",
            exit_code=code,
            notes=(f"already reviewed {run.head[:7]}, nothing new; nothing posted",),
            head_sha=run.head,
        )
    event: Event = "REQUEST_CHANGES" if run.config.request_changes and blocks else "COMMENT"
    posted, landed = _post_once(run, review, inline=inline, moved=moved, event=event)
    if not landed:
        return GitHubOutcome(
            review=review,
            skipped_reason="already reviewed",
            exit_code=code,
            notes=(f"already reviewed {run.head[:7]}, nothing posted", *run.notes),
            head_sha=run.head,
        )
    if not blocks:
        _dismiss_stale(run, keep=posted.id)
    if run.checks:
        reviewed = bool(prepared.plan.chunks)
        _check_run(
            run, review, inline, conclusion=check_conclusion(blocking=blocks, reviewed=reviewed)
        )
    return GitHubOutcome(
        review=review,
        posted=True,
        review_url=posted.html_url,
        exit_code=code,
        notes=tuple(run.notes),
        head_sha=run.head,
    )


def _existing(run: _Run) -> tuple[BotItem | None, bool]:
    """(a review this run must not repeat, whether this very run posted it)."""
    reviews = run.client.list_bot_reviews(run.repo, run.number)
    for r in reviews:
        if has_run_marker(r.body, run.run_key):
            return r, True
    if run.trigger == "auto":
        for r in reviews:
            if run.head in reviewed_heads(r.body):
                return r, False
    return None, False


def _post_once(
    run: _Run, review: Review, *, inline: Sequence[Any], moved: Sequence[Any], event: Event
) -> tuple[BotItem, bool]:
    """POST the review exactly once: look before every attempt; (review, posted by us)."""
    settings = run.settings
    comments = [comment_payload(f) for f in inline]
    body = render_review_body(review, head_sha=run.head, run_key=run.run_key, moved=moved)
    failures = 0
    while True:
        found, ours = _existing(run)
        if found is not None:
            return found, ours
        if run.stop():
            # e.g. the app timed the job out while this run waited out a rate limit.
            raise _Stopped
        try:
            item = run.client.create_review(
                run.repo, run.number, commit_id=run.head, body=body, event=event, comments=comments
            )
            return item, True
        except GitHubRateLimited as exc:
            wait = exc.wait_s
        except GitHubAccessError:
            raise
        except GitHubError as exc:
            if exc.status == 422 and event == "REQUEST_CHANGES" and _own_pr(exc):
                # e.g. the token's user wrote the PR: GitHub lets nobody request changes there.
                run.notes.append(f"GitHub refused REQUEST_CHANGES ({exc.message}); posted COMMENT")
                event = "COMMENT"
                continue
            if exc.status == 422 and comments:
                # GitHub refused a comment after all: every finding goes into the body.
                note = "GitHub refused the inline comments; all findings are in the review body"
                run.notes.append(f"{note} ({exc.message})")
                comments = []
                body = render_review_body(
                    review,
                    head_sha=run.head,
                    run_key=run.run_key,
                    moved=(*inline, *moved),
                    notes=(note + ".",),
                )
                continue
            if exc.status is not None and exc.status < 500:
                raise
            wait = settings.github_retry_base_s * 2**failures
        failures += 1
        if failures > settings.github_retries:
            raise GitHubError("GitHub did not take the review after retries; run again later")
        _sleep(wait)


class _Stopped(Exception):
    """The run was cancelled between deciding to post and the POST itself."""


def _own_pr(exc: GitHubError) -> bool:
    return "request changes" in exc.message.lower()


def _dismiss_stale(run: _Run, *, keep: int) -> None:
    for r in run.reviews:
        if r.state != "CHANGES_REQUESTED" or r.id == keep:
            continue
        message = (
            f"grok-review: no finding at or above fail_on remains at {run.head[:7]}; "
            "this request for changes no longer applies."
        )
        try:
            run.client.dismiss_review(run.repo, run.number, r.id, message=message)
        except GitHubError as exc:
            run.notes.append(f"could not dismiss an earlier review: {exc.message}")


def _check_run(run: _Run, review: Review, inline: Sequence[Any], *, conclusion: Any) -> None:
    title, summary = render_check_output(review, conclusion=conclusion)
    try:
        run.client.create_check_run(
            run.repo,
            name=CHECK_NAME,
            head_sha=run.head,
            conclusion=conclusion,
            title=title,
            summary=summary,
            annotations=build_annotations(inline),
        )
    except GitHubAccessError as exc:
        if exc.status == 403:
            run.notes.append("token cannot write checks: check run skipped")
        else:
            run.notes.append(f"check run skipped: {exc.message}")
    except GitHubError as exc:
        run.notes.append(f"check run failed: {exc.message}")


# --- entry points: the CLI and the webhook app ------------------------------------------


def _flag_overrides(args: argparse.Namespace) -> dict[str, Any]:
    keys = ("max_comments", "min_severity", "fail_on")
    return {k: getattr(args, k) for k in keys if getattr(args, k, None) is not None}


class _LazyProgress:
    """The CLI's progress display, started by the first event (the total is known then)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self._args = args
        self._display: Any = None
        self._update: Callable[[ProgressEvent], None] | None = None

    def __call__(self, event: ProgressEvent) -> None:
        if self._display is None:
            from bot.cli import ProgressDisplay

            self._display = ProgressDisplay(self._args, total=event.total)
            self._update = self._display.__enter__()
        if self._update is not None:
            self._update(event)

    def close(self) -> None:
        if self._display is not None:
            self._display.__exit__(None, None, None)


def run_cli_pr(args: argparse.Namespace, settings: Settings) -> int:
    """`review-pr OWNER/REPO#N [--post] [--dry-run]`: review a PR, print it, maybe post it."""
    from bot.cli import NO_KEY, emit, emit_review

    repo, number = parse_pr_ref(args.target)
    if args.post and args.dry_run:
        raise UsageError("--dry-run plans only; it cannot go with --post")
    if args.post and not settings.github_token:
        raise UsageError("--post needs GITHUB_TOKEN: a token that may write pull request reviews")
    if not args.dry_run and not settings.api_key:
        from bot.errors import MissingKeyError

        raise MissingKeyError(NO_KEY)
    client = GitHubClient.from_token(settings)
    progress = _LazyProgress(args)
    try:
        outcome = review_pull_request(
            settings,
            client,
            repo=repo,
            number=number,
            trigger="cli",
            post=args.post,
            config_path=args.config or DEFAULT_CONFIG_PATH,
            overrides=_flag_overrides(args),
            on_event=progress,
            dry_run=args.dry_run,
        )
    finally:
        progress.close()
    if outcome.plan is not None:
        emit(_plan_text(outcome.plan, args.format), args)
    if outcome.review is not None:
        emit_review(outcome.review, args)
    for note in outcome.notes:
        print(f"review-pr: {note}", file=sys.stderr)
    if outcome.skipped_reason and not outcome.error and not outcome.notes:
        print(f"review-pr: not reviewed: {outcome.skipped_reason}", file=sys.stderr)
    if outcome.posted:
        print(f"review-pr: posted {outcome.review_url or 'the review'}", file=sys.stderr)
    if outcome.error:
        print(f"review-pr: error: {outcome.error}", file=sys.stderr)
    return outcome.exit_code


def _plan_text(plan: Plan, fmt: str) -> str:
    import json

    from bot.plan import plan_to_json, render_plan_text

    if fmt == "json":
        return json.dumps(plan_to_json(plan), indent=2)
    if fmt == "text":
        return render_plan_text(plan)
    raise UsageError("--dry-run prints text or json")


class AppReviewer:
    """The webhook app's reviewer: one cached client per installation, one call per job."""

    def __init__(
        self,
        settings: Settings,
        *,
        client_for: Callable[[int | None], GitHubClient] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._client_for = client_for or self._new_client
        self._clock = clock
        self._clients: dict[int | None, tuple[GitHubClient, float]] = {}
        self._lock = threading.Lock()

    def _new_client(self, installation_id: int | None) -> GitHubClient:
        if installation_id is None:
            return GitHubClient.from_token(self._settings)
        return GitHubClient.for_installation(self._settings, installation_id)

    def client(self, installation_id: int | None) -> GitHubClient:
        """A client for the installation, rebuilt shortly before its token would expire."""
        with self._lock:
            cached = self._clients.get(installation_id)
            if cached is not None and self._clock() - cached[1] < INSTALLATION_CLIENT_TTL_S:
                return cached[0]
            client = self._client_for(installation_id)
            self._clients[installation_id] = (client, self._clock())
            return client

    def review(self, job: ReviewJob, ctx: JobContext) -> JobResult:
        from bot.app.jobs import JobResult

        def cancelled() -> bool:
            ctx.heartbeat()
            return ctx.cancelled()

        try:
            outcome = review_pull_request(
                self._settings,
                self.client(job.installation_id),
                repo=job.repo,
                number=job.number,
                trigger=job.trigger,
                post=True,
                expected_head=job.head_sha,
                on_event=lambda event: ctx.heartbeat(),
                cancelled=cancelled,
                run_key=job.delivery_id,
            )
        except BotError as exc:
            return JobResult(status="failed", detail=exc.message)
        return job_result(outcome)

    def post_notice(self, job: ReviewJob, text: str) -> None:
        client = self.client(job.installation_id)
        client.create_issue_comment(job.repo, job.number, render_notice(text))


def job_result(outcome: GitHubOutcome) -> JobResult:
    """The app's record of a run: status, a short detail, and what the model cost."""
    from bot.app.jobs import JobResult

    usage = outcome.review.usage if outcome.review is not None else None
    status: ResultStatus
    if outcome.error:
        status, detail = "failed", outcome.error
    elif outcome.posted:
        status, detail = "posted", "; ".join(outcome.notes)
    elif outcome.skipped_reason == "superseded":
        status, detail = "superseded", "a newer head or a close replaced this job"
    else:
        status, detail = "skipped", outcome.skipped_reason or "; ".join(outcome.notes)
    return JobResult(
        status=status,
        detail=detail,
        cost_usd=usage.cost_usd if usage else 0.0,
        prompt_tokens=usage.prompt_tokens if usage else 0,
        completion_tokens=usage.completion_tokens if usage else 0,
        review_url=outcome.review_url,
    )


def make_app_reviewer(settings: Settings) -> AppReviewer:
    """The reviewer the webhook service's workers call (bot.app.jobs.Reviewer)."""
    return AppReviewer(settings)
