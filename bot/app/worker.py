"""Running one review job: claim it, check the budget, review with heartbeats, retry or finish."""

from __future__ import annotations

import logging
import threading
import time
from functools import partial
from typing import TYPE_CHECKING

from bot.app.attempt import Attempt, RunContext, new_owner
from bot.app.jobs import JobResult, Reviewer, ReviewJob
from bot.app.logs import scrub
from bot.app.metrics import Metrics
from bot.app.store import TIMEOUT_REASON, JobRecord, StoreError, final_state

if TYPE_CHECKING:
    from bot.app.queue import JobQueue
    from bot.settings import Settings

log = logging.getLogger(__name__)


def budget_notice(*, cap: float, spent: float, answer: bool = False) -> str:
    """The once-a-day comment on a PR whose job the budget stopped; `answer`: the job was an
    answer to `/ask` or a thread reply, not a review."""
    what = "answer here" if answer else "review this pull request"
    return (
        f"grok-review did not {what}: the daily model budget of "
        f"${cap:.2f} for this installation is used up (${spent:.2f} spent today, UTC). "
        "Reviews resume after midnight UTC; until then `/review` and `/ask` are stopped too, "
        "since the budget caps cost whoever asks."
    )


class JobRunner:
    """What a queue worker does with one delivery id."""

    def __init__(
        self, queue: JobQueue, reviewer: Reviewer, *, settings: Settings, metrics: Metrics
    ) -> None:
        self._queue = queue
        self._store = queue.store
        self._reviewer = reviewer
        self._settings = settings
        self._metrics = metrics
        self._running: dict[str, RunContext] = {}
        self._lock = threading.Lock()

    def run(self, delivery_id: str) -> None:
        try:
            self._run(delivery_id, owner=new_owner())
        except StoreError as exc:
            # The record stays queued or running; the sweeper re-enqueues it later.
            self._metrics.errors.labels("store").inc()
            log.error("job store error", extra={"delivery": delivery_id, "error": str(exc)})

    def release_running(self) -> list[str]:
        """At shutdown: jobs still running go back to `queued` for the next worker."""
        with self._lock:
            running = list(self._running.items())
        released = []
        for delivery_id, ctx in running:
            ctx.cancel()
            try:
                if self._store.release(delivery_id, owner=ctx.owner):
                    self._queue.submit(delivery_id)
                    released.append(delivery_id)
            except StoreError as exc:
                log.error("cannot release job", extra={"delivery": delivery_id, "error": str(exc)})
        return released

    def _run(self, delivery_id: str, *, owner: str) -> None:
        s = self._settings
        claim = self._store.claim(delivery_id, owner=owner, lock_ttl_s=s.stale_after_s)
        if claim.outcome == "busy":
            # Another worker reviews this PR right now; look again after one heartbeat.
            self._queue.submit(delivery_id, delay_s=s.heartbeat_s)
            return
        if claim.outcome == "gone" or claim.record is None:
            state = claim.record.state if claim.record else "unknown"
            log.info("job skipped", extra={"delivery": delivery_id, "state": state})
            return
        left = self._budget_left(claim.record.job, owner=owner)
        if left is None or left > 0:
            self._review(claim.record, owner=owner, budget_left_usd=left)

    def _budget_left(self, job: ReviewJob, *, owner: str) -> float | None:
        """The installation's daily budget left (None: no budget); 0 once it is used up,
        after the notice and the job's record."""
        cap = self._settings.daily_budget_usd
        if cap is None:
            return None
        spent = self._store.spent_today(job.installation_id)
        if spent < cap:
            return cap - spent
        if self._store.claim_notice(repo=job.repo, number=job.number):
            try:
                notice = budget_notice(cap=cap, spent=spent, answer=job.is_answer)
                self._reviewer.post_notice(job, notice)
            except Exception as exc:
                self._metrics.errors.labels("notice").inc()
                log.error("budget notice failed", extra=_fields(job, error=scrub(str(exc))))
        result = JobResult("skipped", detail=f"daily budget of ${cap:.2f} reached")
        self._store.finish(job.delivery_id, owner=owner, state="done", result=result)
        self._metrics.jobs_finished.labels("skipped").inc()
        log.warning("daily budget reached", extra=_fields(job, spent_usd=round(spent, 4)))
        return 0.0

    def _review(self, record: JobRecord, *, owner: str, budget_left_usd: float | None) -> None:
        s = self._settings
        job = record.job
        ctx = RunContext(
            self._store,
            job.delivery_id,
            owner=owner,
            interval_s=s.heartbeat_s,
            lock_ttl_s=s.stale_after_s,
            timeout_s=s.job_timeout_s,
            budget_left_usd=budget_left_usd,
            daily_budget_usd=s.daily_budget_usd,
        )
        attempt = Attempt(lambda: self._reviewer.review(job, ctx), name=f"review-{job.delivery_id}")
        with self._lock:
            self._running[job.delivery_id] = ctx
        start = time.monotonic()
        log.info("review started", extra=_fields(job, attempt=record.attempts))
        try:
            with ctx:
                ended = attempt.run_for(ctx.remaining_s())
                if not ended:
                    # Cancelled before the store hears of it: from now on nothing gets posted.
                    ctx.expire()
                    ended = not attempt.abandon(partial(self._late, job, owner=owner))
        finally:
            with self._lock:
                self._running.pop(job.delivery_id, None)
        if not ended:
            self._time_out(record, owner=owner)
        elif attempt.error is not None:
            self._retry_or_fail(record, owner=owner, exc=attempt.error)
        elif attempt.result is not None:
            self._finish(job, owner=owner, result=attempt.result, start=start)

    def _finish(self, job: ReviewJob, *, owner: str, result: JobResult, start: float) -> None:
        self._store.finish(job.delivery_id, owner=owner, state=final_state(result), result=result)
        self._metrics.observe_result(result, seconds=time.monotonic() - start)
        fields = _fields(job, status=result.status, cost=result.cost_usd)
        if result.detail:
            # Why it failed or was skipped (as the store records it): operators read the log first.
            fields["detail"] = scrub(result.detail)
        level = logging.WARNING if result.status == "failed" else logging.INFO
        log.log(level, "review finished", extra=fields)
        if result.feedback is not None:
            try:
                self._store.save_feedback(job.repo, result.feedback)
            except StoreError as exc:  # the figures wait for the next refresh
                self._metrics.errors.labels("feedback").inc()
                log.warning("cannot save feedback figures", extra=_fields(job, error=str(exc)))

    def _time_out(self, record: JobRecord, *, owner: str) -> None:
        """Record the abandoned attempt as failed (not retried) and free the PR for newer heads."""
        s, job = self._settings, record.job
        detail = f"{TIMEOUT_REASON}: no result within job_timeout_s={s.job_timeout_s:g}"
        failed = JobResult("failed", detail=detail)
        if not self._store.finish(job.delivery_id, owner=owner, state="failed", result=failed):
            # Superseded, or given back at shutdown, meanwhile: that record stands.
            log.info("review abandoned", extra=_fields(job, timeout_s=s.job_timeout_s))
            return
        self._metrics.jobs_timed_out.inc()
        self._metrics.jobs_finished.labels("failed").inc()
        log.error(
            "review timed out",
            extra=_fields(
                job, reason=TIMEOUT_REASON, timeout_s=s.job_timeout_s, attempt=record.attempts
            ),
        )

    def _late(self, job: ReviewJob, attempt: Attempt, *, owner: str) -> None:
        """An abandoned review ended after all: count what it spent; its record stays failed."""
        result = attempt.result
        if result is None:
            error = scrub(f"{type(attempt.error).__name__}: {attempt.error}")
            log.warning("timed-out review raised", extra=_fields(job, error=error))
            return
        try:
            # Moves nothing (the job is no longer ours) but adds the cost to today's spend.
            self._store.finish(
                job.delivery_id, owner=owner, state=final_state(result), result=result
            )
        except StoreError as exc:
            log.error("cannot record late cost", extra=_fields(job, error=str(exc)))
        self._metrics.observe_usage(result)
        level = logging.ERROR if result.status == "posted" else logging.WARNING
        log.log(level, "timed-out review returned", extra=_fields(job, status=result.status))

    def _retry_or_fail(self, record: JobRecord, *, owner: str, exc: Exception) -> None:
        s = self._settings
        job = record.job
        detail = scrub(f"{type(exc).__name__}: {exc}")
        self._metrics.errors.labels("review").inc()
        if record.attempts <= s.job_retries:
            delay = s.job_retry_delay_s * 2 ** (record.attempts - 1)
            if self._store.release(job.delivery_id, owner=owner):
                self._queue.submit(job.delivery_id, delay_s=delay)
            log.warning(
                "review raised, will retry", extra=_fields(job, retry_in_s=delay, error=detail)
            )
            return
        failed = JobResult("failed", detail=detail)
        self._store.finish(job.delivery_id, owner=owner, state="failed", result=failed)
        self._metrics.jobs_finished.labels("failed").inc()
        log.error("review failed", extra=_fields(job, attempts=record.attempts), exc_info=exc)


def _fields(job: ReviewJob, **more: object) -> dict[str, object]:
    return {
        "delivery": job.delivery_id,
        "repo": job.repo,
        "pr": job.number,
        "head": job.head_sha,
        "trigger": job.trigger,
        **more,
    }
