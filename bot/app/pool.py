"""Worker threads, the stale-job sweeper, and the `review-bot worker` process loop."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from typing import TYPE_CHECKING

from bot.app.jobs import Reviewer
from bot.app.metrics import Metrics
from bot.app.metrics_http import MetricsServer
from bot.app.queue import JobQueue, open_queue
from bot.app.worker import JobRunner

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger(__name__)


class Sweeper:
    """Re-enqueues jobs huey lost: stale `running` ones (dead worker) and orphaned `queued` ones."""

    def __init__(self, queue: JobQueue, *, settings: Settings, metrics: Metrics) -> None:
        self._queue = queue
        self._settings = settings
        self._metrics = metrics
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sweep(self) -> list[str]:
        """One pass; returns the delivery ids put back on the queue."""
        s, store = self._settings, self._queue.store
        revived = store.revive_stale(stale_after_s=s.stale_after_s, max_attempts=s.job_retries + 1)
        lost = store.lost_queued(older_than_s=s.stale_after_s)
        if lost:
            waiting = self._queue.enqueued_ids()
            lost = store.touch([i for i in lost if i not in waiting], older_than_s=s.stale_after_s)
        for delivery_id in revived + lost:
            self._queue.submit(delivery_id)
        if revived or lost:
            log.warning("re-enqueued jobs", extra={"stale_running": revived, "lost_queued": lost})
        return revived + lost

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="sweeper", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _loop(self) -> None:
        while True:
            try:
                self.sweep()
                self._queue.store.prune()
            except Exception as exc:  # keep sweeping; the next pass may succeed
                self._metrics.errors.labels("sweeper").inc()
                log.error("sweep failed", extra={"error": str(exc)})
            if self._stop.wait(self._settings.requeue_interval_s):
                return


class WorkerPool:
    """A huey consumer (threads) running JobRunner plus the sweeper, started and stopped as one."""

    def __init__(
        self,
        queue: JobQueue,
        reviewer: Reviewer,
        *,
        settings: Settings,
        metrics: Metrics,
        workers: int,
    ) -> None:
        self.runner = JobRunner(queue, reviewer, settings=settings, metrics=metrics)
        queue.bind(self.runner.run)
        self._consumer = queue.consumer(workers=workers)
        self._sweeper = Sweeper(queue, settings=settings, metrics=metrics)

    def start(self) -> None:
        self._consumer.start()
        self._sweeper.start()

    def stop(self, *, grace_s: float) -> list[str]:
        """Take no new jobs, wait up to grace_s for running ones, give the rest back."""
        self._sweeper.stop()
        self._consumer.stop_flag.set()
        deadline = time.monotonic() + grace_s
        for _, thread in self._consumer.worker_threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        released = self.runner.release_running()
        self._consumer.scheduler.join(timeout=max(1.0, grace_s))
        if released:
            log.warning("released unfinished jobs", extra={"released": released})
        return released


def run_worker(
    settings: Settings,
    *,
    reviewer: Reviewer,
    workers: int = 1,
    grace_s: float | None = None,
    metrics_host: str = "127.0.0.1",
    stop: threading.Event | None = None,
) -> None:
    """`review-bot worker`: run jobs until SIGTERM/SIGINT (or `stop`), then shut down gently.

    grace_s: how long to wait for running jobs at shutdown (default: `shutdown_grace_s`).
    With `metrics_port` set, GET /metrics and /healthz are served on metrics_host meanwhile.
    """
    grace_s = settings.shutdown_grace_s if grace_s is None else grace_s
    queue = open_queue(settings)
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(queue.close)
        queue.store.ping()  # fail at start, in one line, when Redis or the data dir is unusable
        metrics = Metrics(store=queue.store, queue=queue)
        listening = None
        if settings.metrics_port is not None:
            server = MetricsServer(
                metrics, queue, host=metrics_host, port=settings.metrics_port, poll_s=queue.poll_s
            )
            server.start()
            cleanup.callback(server.stop)  # after the pool: scrapes still work while it drains
            listening = f"{server.host}:{server.port}"
        pool = WorkerPool(queue, reviewer, settings=settings, metrics=metrics, workers=workers)
        pool.start()
        log.info(
            "worker started",
            extra={"queue": queue.kind, "workers": workers, "metrics": listening},
        )
        stop.wait()
        log.info("worker stopping", extra={"grace_s": grace_s})
        pool.stop(grace_s=grace_s)
