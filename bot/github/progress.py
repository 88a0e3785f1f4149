"""The `grok-review` check run of one run: `in_progress` while the model works, then its result.

A run that posts starts the check run just before it asks the model and completes that same
run at the end: with the review's conclusion, or `cancelled` (stopped: a newer head, a closed
PR, the App's time limit) or `neutral` (the review failed). A check run is never left
`in_progress` by a run that ends, only by a process that dies (a retry starts a new one;
GitHub shows the newest run of a name). Failing to write a check run never fails a review.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

from bot.errors import GitHubAccessError, GitHubError
from bot.github.render import CHECK_NAME, Conclusion
from bot.github.run import GitHubOutcome, Run
from bot.output.markdown import clip, neutralize

_TEXT_LIMIT = 2_000


def start_check_run(run: Run) -> None:
    """Show the review as running on the head (once per run)."""
    if not run.checks or run.check.id is not None or run.check.refused:
        return
    try:
        run.check.id = run.client.start_check_run(
            run.repo,
            name=CHECK_NAME,
            head_sha=run.head,
            title="Reviewing",
            summary=f"grok-review is reviewing `{run.head[:7]}`.",
            external_id=str(run.number),  # a Re-run of this check names its pull request
        )
    except GitHubError as exc:
        _refused(run, exc)


def complete_check_run(
    run: Run,
    *,
    conclusion: Conclusion,
    title: str,
    summary: str,
    annotations: Sequence[Mapping[str, Any]] = (),
    only_started: bool = False,
) -> None:
    """Complete the run's check run (or create a completed one, unless `only_started`)."""
    if not run.checks or run.check.refused or run.check.completed:
        return
    if only_started and run.check.id is None:
        return
    try:
        run.client.create_check_run(
            run.repo,
            name=CHECK_NAME,
            head_sha=run.head,
            conclusion=conclusion,
            title=title,
            summary=summary,
            annotations=annotations,
            run_id=run.check.id,
            external_id=str(run.number),
        )
        run.check.completed = True
    except GitHubError as exc:
        _refused(run, exc)


def abandon_check_run(run: Run, outcome: GitHubOutcome | None) -> None:
    """Close a check run this run left open: `cancelled` when it was stopped, else `neutral`.
    `outcome` None: the run raised."""
    if not run.check.open:
        return
    if outcome is not None and outcome.skipped_reason == "superseded":
        conclusion: Conclusion = "cancelled"
        title = "Review stopped"
        summary = (
            f"The review of `{run.head[:7]}` stopped before it finished: a newer commit, a "
            "closed pull request or the time limit replaced it."
        )
    else:
        conclusion, title = "neutral", "Review failed"
        reason = outcome.error if outcome is not None and outcome.error else "an internal error"
        summary = f"The review of `{run.head[:7]}` did not finish: {reason}"
    summary = clip(neutralize(summary), _TEXT_LIMIT)
    # Closing up after a failure must never replace that failure with another one.
    with contextlib.suppress(Exception):
        complete_check_run(run, conclusion=conclusion, title=title, summary=summary)


def _refused(run: Run, exc: GitHubError) -> None:
    if isinstance(exc, GitHubAccessError):
        run.check.refused = True
        if exc.status == 403:
            run.notes.append("token cannot write checks: check run skipped")
        else:
            run.notes.append(f"check run skipped: {exc.message}")
    else:
        run.notes.append(f"check run failed: {exc.message}")
