"""Review a GitHub pull request: fetch, decide, review, submit exactly once (CLI, Action, app).

The stages live beside it: run.py (values and pure decisions), config.py (the base branch's
config), publish.py (posting once); the entry points call review_pull_request.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.config import DEFAULT_CONFIG_PATH, with_overrides
from bot.context.cache import SnapshotCache
from bot.context.snapshot import Snapshot, close_snapshot
from bot.errors import BotError, ConfigError, ExitCode, review_exit_code
from bot.github.api import GitHubClient
from bot.github.config import fetch_repo_config, report_invalid_config
from bot.github.feedback import ReviewFeedback, feedback_for_review
from bot.github.markers import find_fingerprints, has_run_marker
from bot.github.progress import abandon_check_run, start_check_run
from bot.github.publish import publish_review
from bot.github.run import (
    GitHubOutcome,
    Run,
    RunSkip,
    Stopped,
    Trigger,
    all_heads,
    short_range,
    skip_reason,
    split_unreviewable,
)
from bot.github.snapshot import snapshot_for
from bot.models import FileDiff, ProgressEvent, SkippedFile
from bot.review.feedback import for_prompt
from bot.review.findings import review_blocks

if TYPE_CHECKING:
    from bot.model.ladder import ServerMemory
    from bot.review.pipeline import Prepared
    from bot.review.tools import BudgetGrant
    from bot.settings import Settings


@dataclass(frozen=True)
class _Scope:
    files: tuple[FileDiff, ...]
    reviewed_range: str
    incremental: bool


def _choose_scope(run: Run) -> _Scope:
    """Incremental (last reviewed head..head) when that is an ancestor; else the whole PR."""
    pr = run.pr
    full = _Scope(pr.files, short_range(pr.base_sha, run.head), incremental=False)
    heads = all_heads(run.reviews)
    last = heads[-1] if heads else None
    if run.trigger == "command_full" or not run.config.incremental or last in (None, run.head):
        return full
    assert last is not None
    comparison = run.client.compare(run.repo, last, run.head)
    if comparison is None or comparison.status != "ahead" or comparison.truncated:
        return full  # a force-push (or a huge push): review everything, dedupe keeps it quiet
    in_pr = {f.path for f in pr.files}
    files = tuple(f for f in comparison.files if f.path in in_pr)
    return _Scope(files, short_range(last, run.head), incremental=True)


def _posted_fingerprints(run: Run) -> set[str]:
    comments = run.client.list_bot_review_comments(run.repo, run.number)
    bodies = [c.body for c in comments] + [r.body for r in run.reviews]
    return {fp for body in bodies for fp in find_fingerprints(body)}


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
    workspace: Path | None = None,
    snapshot_cache: SnapshotCache | None = None,
    servers: ServerMemory | None = None,
    budget: BudgetGrant | None = None,
    force: bool = False,
) -> GitHubOutcome:
    """Fetch the PR, decide whether and what to review, review it and (with `post`) submit.

    `run_key` names this run in the posted review (the app passes the webhook delivery id),
    so a retried or re-delivered run finds its own review instead of posting another.
    `workspace` (the Action's checkout) and `snapshot_cache` (the App's) are where the
    repository snapshot may come from before the API (bot.github.snapshot).
    `servers`: what earlier runs learned about the model server (the App keeps one).
    `budget`: the App's daily budget, asked for the run's share once its worst case is known
    (bot.review.tools.BudgetGrant); the model's tool rounds stop before that share or the
    config's `max_cost_usd` is crossed.
    Whether to review at all (exactly once per head, `enabled`) is decided before the model
    is asked; `force` (review-pr --force) reviews anyway, like a person's `/review`.
    """
    fetched = client.fetch_pull_request(repo, number)
    pr = fetched.pr
    if expected_head and pr.head_sha != expected_head:
        return GitHubOutcome(skipped_reason="superseded", head_sha=pr.head_sha)
    if trigger == "auto" and fetched.state != "open":
        return GitHubOutcome(skipped_reason="closed", head_sha=pr.head_sha)
    try:
        config = fetch_repo_config(client, pr, config_path)
    except ConfigError as exc:
        return report_invalid_config(client, pr, exc, post=post, config_path=config_path)
    config = with_overrides(config, overrides)
    reviews = tuple(client.list_bot_reviews(repo, number))
    run_key = run_key or uuid.uuid4().hex
    if any(has_run_marker(r.body, run_key) for r in reviews):
        # A retried or re-run job whose review already landed: nothing to pay for again.
        return GitHubOutcome(skipped_reason="already reviewed", head_sha=pr.head_sha)
    heads = all_heads(reviews)
    reason = skip_reason(pr, config, trigger=trigger, heads=heads, post=post, force=force)
    if reason is not None:
        notes = _cli_skip_notes(reason, head=pr.head_sha or "") if trigger == "cli" else ()
        return GitHubOutcome(skipped_reason=reason, head_sha=pr.head_sha, notes=notes)
    run = Run(
        settings=settings,
        client=client,
        fetched=fetched,
        config=config,
        trigger=trigger,
        run_key=run_key,
        checks=checks,
        reviews=reviews,
        stop=cancelled or (lambda: False),
        budget=budget,
    )
    sources = _SnapshotSources(workspace, snapshot_cache)
    outcome = _review(
        run, post=post, dry_run=dry_run, on_event=on_event, sources=sources, servers=servers
    )
    return replace(outcome, fail_on=config.fail_on)


def _cli_skip_notes(reason: RunSkip, *, head: str) -> tuple[str, ...]:
    """What review-pr says when it sends nothing to the model, and how to override it."""
    if reason == "already reviewed":
        return (
            f"already reviewed {head[:7]}; nothing sent to the model (--force pays for a fresh "
            "look and posts only findings not on the pull request yet)",
        )
    if reason == "disabled by config":
        return (
            "not reviewed: the base branch's config sets enabled: false; nothing sent to the "
            "model (--force reviews anyway)",
        )
    return ()


@dataclass(frozen=True)
class _SnapshotSources:
    workspace: Path | None
    cache: SnapshotCache | None


def _review(
    run: Run,
    *,
    post: bool,
    dry_run: bool,
    on_event: Callable[[ProgressEvent], None] | None,
    sources: _SnapshotSources,
    servers: ServerMemory | None = None,
) -> GitHubOutcome:
    scope = _choose_scope(run)
    files, extra = split_unreviewable(scope.files)
    snapshot, note = snapshot_for(
        run.client,
        run.pr,
        files,
        run.config,
        settings=run.settings,
        workspace=sources.workspace,
        cache=sources.cache,
    )
    work = _Work(scope, files, extra, snapshot, note)
    try:
        return _review_work(
            run, work, post=post, dry_run=dry_run, on_event=on_event, servers=servers
        )
    finally:
        close_snapshot(snapshot)


@dataclass(frozen=True)
class _Work:
    """What this run reviews: the scope, its files, and the repository snapshot for context."""

    scope: _Scope
    files: tuple[FileDiff, ...]
    extra: tuple[SkippedFile, ...]  # set aside before the filters (GitHub sent no patch)
    snapshot: Snapshot | None
    context_note: str | None


def _review_work(
    run: Run,
    work: _Work,
    *,
    post: bool,
    dry_run: bool,
    on_event: Callable[[ProgressEvent], None] | None,
    servers: ServerMemory | None,
) -> GitHubOutcome:
    from bot.review.pipeline import prepare_review

    agents_md = run.client.fetch_file(run.repo, "AGENTS.md", ref=run.pr.base_sha or "")
    feedback = feedback_for_review(run.client, run.repo, run.config.feedback)
    if run.config.feedback.enabled and not feedback.read and feedback.note:
        run.notes.append(feedback.note)
    reviewed_pr = run.pr.model_copy(update={"files": work.files})
    prepared = prepare_review(
        reviewed_pr,
        run.config,
        run.settings,
        agents_md=agents_md,
        extra_skipped=work.extra,
        snapshot=work.snapshot,
        context_note=work.context_note,
        unwanted=for_prompt(feedback.muted),
    )
    if dry_run:
        return GitHubOutcome(plan=prepared.plan, head_sha=run.head, feedback=feedback)
    if work.scope.incremental and not prepared.plan.chunks:
        return GitHubOutcome(skipped_reason="nothing new to review", head_sha=run.head)
    posted = _posted_fingerprints(run)
    if run.stop():
        return GitHubOutcome(skipped_reason="superseded", head_sha=run.head)
    if post:
        start_check_run(run)
    try:
        outcome = _ask_and_post(
            run,
            prepared,
            work.scope,
            feedback,
            posted=posted,
            post=post,
            on_event=on_event,
            servers=servers,
        )
    except BaseException:
        abandon_check_run(run, None)
        raise
    abandon_check_run(run, outcome)  # a no-op unless the run stopped or failed
    return outcome


def _ask_and_post(
    run: Run,
    prepared: Prepared,
    scope: _Scope,
    feedback: ReviewFeedback,
    *,
    posted: set[str],
    post: bool,
    on_event: Callable[[ProgressEvent], None] | None,
    servers: ServerMemory | None,
) -> GitHubOutcome:
    from bot.review.ask import ask_model
    from bot.review.pipeline import assemble_review
    from bot.review.tools import granted_budget

    superseded = GitHubOutcome(skipped_reason="superseded", head_sha=run.head)
    budget_usd = granted_budget(run.budget, prepared.plan)
    results = ask_model(
        prepared, run.settings, on_event=on_event, servers=servers, budget_usd=budget_usd
    )
    if run.stop():
        return superseded
    anchor, rng = run.pr.files, scope.reviewed_range
    review = assemble_review(
        prepared,
        results,
        anchor_files=anchor,
        posted_fingerprints=sorted(posted),
        reviewed_range=rng,
        muted=feedback.muted,
        incremental=scope.incremental,
    )
    # Blocking is judged on every finding, posted before or not: a problem that is still
    # there still fails the check and keeps a request for changes in force. A muted kind
    # never blocks: maintainers said they do not want it.
    everything = assemble_review(
        prepared, results, anchor_files=anchor, reviewed_range=rng, muted=feedback.muted
    )
    blocks = review_blocks(everything, run.config.fail_on)
    code = review_exit_code(blocking=blocks, incomplete=bool(review.errors))
    if not post:
        return GitHubOutcome(
            review=review, exit_code=code, notes=tuple(run.notes), head_sha=run.head
        )
    try:
        return publish_review(run, prepared, review, blocks=blocks, code=code)
    except Stopped:
        return superseded
    except BotError as exc:
        return GitHubOutcome(
            review=review,
            exit_code=(
                ExitCode.BAD_INPUT
                if exc.exit_code == ExitCode.BAD_INPUT
                else review_exit_code(blocking=blocks, incomplete=True)
            ),
            error=exc.message,
            notes=tuple(run.notes),
            head_sha=run.head,
        )
