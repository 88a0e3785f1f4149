"""Submit a finished review exactly once: the review, stale dismissals, the check run."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.errors import ExitCode, GitHubAccessError, GitHubError
from bot.github.data import BotItem, Event, GitHubRateLimited
from bot.github.markers import has_run_marker, reviewed_heads
from bot.github.progress import complete_check_run
from bot.github.render import (
    Conclusion,
    build_annotations,
    check_conclusion,
    comment_payload,
    render_check_output,
    render_review_body,
    split_postable,
)
from bot.github.run import GitHubOutcome, Run, Stopped, all_heads
from bot.models import Finding, Review

if TYPE_CHECKING:
    from bot.review.pipeline import Prepared


def _sleep(seconds: float) -> None:
    time.sleep(seconds)  # one seam, so tests can see the waits without waiting


def publish_review(
    run: Run, prepared: Prepared, review: Review, *, blocks: bool, code: ExitCode
) -> GitHubOutcome:
    """Post the review unless it is there already, then dismiss stale requests and add checks."""
    inline, moved = split_postable(review.comments, run.pr.files)
    nothing_new = not (inline or moved or review.unanchored or review.overflow)
    conclusion = check_conclusion(blocking=blocks, reviewed=bool(prepared.plan.chunks))
    if nothing_new and run.head in all_heads(run.reviews):
        # A repeated command on a reviewed head found nothing that is not on the PR yet.
        _check_run(run, review, inline, conclusion=conclusion, only_started=True, nothing_new=True)
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
        _check_run(run, review, inline, conclusion=conclusion, only_started=True)
        return GitHubOutcome(
            review=review,
            skipped_reason="already reviewed",
            exit_code=code,
            notes=(f"already reviewed {run.head[:7]}, nothing posted", *run.notes),
            head_sha=run.head,
        )
    if not blocks:
        _dismiss_stale(run, keep=posted.id)
    _check_run(run, review, inline, conclusion=conclusion)
    return GitHubOutcome(
        review=review,
        posted=True,
        review_url=posted.html_url,
        exit_code=code,
        notes=tuple(run.notes),
        head_sha=run.head,
    )


def _existing(run: Run) -> tuple[BotItem | None, bool]:
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
    run: Run,
    review: Review,
    *,
    inline: Sequence[Finding],
    moved: Sequence[Finding],
    event: Event,
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
            raise Stopped
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


def _own_pr(exc: GitHubError) -> bool:
    return "request changes" in exc.message.lower()


def _dismiss_stale(run: Run, *, keep: int) -> None:
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


def _check_run(
    run: Run,
    review: Review,
    inline: Sequence[Finding],
    *,
    conclusion: Conclusion,
    only_started: bool = False,
    nothing_new: bool = False,
) -> None:
    title, summary = render_check_output(review, conclusion=conclusion, nothing_new=nothing_new)
    complete_check_run(
        run,
        conclusion=conclusion,
        title=title,
        summary=summary,
        annotations=build_annotations(inline),
        only_started=only_started,
    )
