"""Running one review job: claim it, check the budget, review with heartbeats, retry or finish."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from types import TracebackType
from typing import TYPE_CHECKING

from bot.app.jobs import JobResult, Reviewer, ReviewJob
from bot.app.logs import scrub
from bot.app.metrics import Metrics
from bot.app.store import JobRecord, Store, StoreError, final_state

if TYPE_CHECKING:
    from bot.app.queue import JobQueue
    from bot.settings import Settings

log = logging.getLogger(__name__)


def new_owner() -> str:
    """A token naming one execution attempt (host, process, random part)."""
    return f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:12]}"


def budget_notice(*, cap: float, spent: float) -> str:
    return (
        f"grok-review did not review this pull request: the daily model budget of "
        f"${cap:.2f} for this installation is used up (${spent:.2f} spent today, UTC). "
        "Reviews resume after midnight UTC; until then `/review` commands are stopped too, "
        "since the budget caps cost whoever asks."
    )


class RunContext:
    """The JobContext a reviewer gets: heartbeats renew the job's lease and PR lock."""

    def __init__(
        self, store: Store, delivery_id: str, *, owner: str, interval_s: float, lock_ttl_s: float
    ) -> None:
        self.owner = owner
        self._store = store
        self._id = delivery_id
        self._interval = interval_s
        self._ttl = lock_ttl_s
        self._cancelled = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def heartbeat(self) -> None:
        try:
            alive = self._store.heartbeat(self._id, owner=self.owner, lock_ttl_s=self._ttl)
        except StoreError as exc:
            # A blip: the lease still runs for stale_after_s, the next beat may get through.
            log.warning("heartbeat failed", extra={"delivery": self._id, "error": str(exc)})
            return
        if not alive:
            self._cancelled.set()

    def cancelled(self) -> bool:
        if not self._cancelled.is_set():
            try:
                if not self._store.is_current(self._id, owner=self.owner):
                    self._cancelled.set()
            except StoreError:
                pass  # cannot tell; keep going, the heartbeat will find out
        return self._cancelled.is_set()

    def cancel(self) -> None:
        self._cancelled.set()

    def __enter__(self) -> RunContext:
        # Beats from a thread, so a reviewer stuck in one long model call keeps its lease.
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{self._id}")
        self._thread.daemon = True
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(self._interval):
            self.heartbeat()


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
        if not self._over_budget(claim.record.job, owner=owner):
            self._review(claim.record, owner=owner)

    def _over_budget(self, job: ReviewJob, *, owner: str) -> bool:
        cap = self._settings.daily_budget_usd
        if cap is None:
            return False
        spent = self._store.spent_today(job.installation_id)
        if spent < cap:
            return False
        if self._store.claim_notice(repo=job.repo, number=job.number):
            try:
                self._reviewer.post_notice(job, budget_notice(cap=cap, spent=spent))
            except Exception as exc:
                self._metrics.errors.labels("notice").inc()
                log.error("budget notice failed", extra=_fields(job, error=scrub(str(exc))))
        result = JobResult("skipped", detail=f"daily budget of ${cap:.2f} reached")
        self._store.finish(job.delivery_id, owner=owner, state="done", result=result)
        self._metrics.jobs_finished.labels("skipped").inc()
        log.warning("daily budget reached", extra=_fields(job, spent_usd=round(spent, 4)))
        return True

    def _review(self, record: JobRecord, *, owner: str) -> None:
        s = self._settings
        job = record.job
        ctx = RunContext(
            self._store,
            job.delivery_id,
            owner=owner,
            interval_s=s.heartbeat_s,
            lock_ttl_s=s.stale_after_s,
        )
        with self._lock:
            self._running[job.delivery_id] = ctx
        start = time.monotonic()
        log.info("review started", extra=_fields(job, attempt=record.attempts))
        try:
            with ctx:
                result = self._reviewer.review(job, ctx)
        except Exception as exc:
            self._retry_or_fail(record, owner=owner, exc=exc)
            return
        finally:
            with self._lock:
                self._running.pop(job.delivery_id, None)
        self._store.finish(job.delivery_id, owner=owner, state=final_state(result), result=result)
        self._metrics.observe_result(result, seconds=time.monotonic() - start)
        log.info("review finished", extra=_fields(job, status=result.status, cost=result.cost_usd))

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
