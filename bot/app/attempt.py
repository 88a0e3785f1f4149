"""One execution attempt of a job: its owner token, heartbeats, deadline and reviewer thread."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from types import TracebackType

from bot.app.jobs import JobResult
from bot.app.store import Store, StoreError

log = logging.getLogger(__name__)


def new_owner() -> str:
    """A token naming one execution attempt (host, process, random part)."""
    return f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:12]}"


class RunContext:
    """The JobContext a reviewer gets: heartbeats renew the job's lease and PR lock.

    Past `timeout_s` (or after expire()) the job is abandoned: heartbeats no longer renew
    anything and cancelled() is True, so the reviewer's check before it posts stops it.
    """

    def __init__(
        self,
        store: Store,
        delivery_id: str,
        *,
        owner: str,
        interval_s: float,
        lock_ttl_s: float,
        timeout_s: float,
        budget_left_usd: float | None = None,
        daily_budget_usd: float | None = None,
    ) -> None:
        self.owner = owner
        self.budget_left_usd = budget_left_usd
        self._cap = daily_budget_usd
        self._store = store
        self._id = delivery_id
        self._interval = interval_s
        self._ttl = lock_ttl_s
        self._deadline = time.monotonic() + timeout_s
        self._cancelled = threading.Event()
        self._expired = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def expired(self) -> bool:
        if not self._expired.is_set() and time.monotonic() >= self._deadline:
            self.expire()
        return self._expired.is_set()

    def expire(self) -> None:
        self._expired.set()
        self._cancelled.set()

    def remaining_s(self) -> float:
        return max(0.0, self._deadline - time.monotonic())

    def heartbeat(self) -> None:
        if self.expired():
            return  # a job past job_timeout_s must lose its lease, not keep it alive
        try:
            alive = self._store.heartbeat(self._id, owner=self.owner, lock_ttl_s=self._ttl)
        except StoreError as exc:
            # A blip: the lease still runs for stale_after_s, the next beat may get through.
            log.warning("heartbeat failed", extra={"delivery": self._id, "error": str(exc)})
            return
        if not alive:
            self._cancelled.set()

    def cancelled(self) -> bool:
        if not self.expired() and not self._cancelled.is_set():
            try:
                if not self._store.is_current(self._id, owner=self.owner):
                    self._cancelled.set()
            except StoreError:
                pass  # cannot tell; keep going, the heartbeat will find out
        return self._cancelled.is_set()

    def cancel(self) -> None:
        self._cancelled.set()

    def reserve_budget(self, worst_usd: float) -> float | None:
        """The job's share of the installation's daily budget, set aside in the store so that
        its other running jobs are not told the same dollars (JobContext.reserve_budget)."""
        if self._cap is None:
            return None
        try:
            return self._store.reserve(self._id, owner=self.owner, amount=worst_usd, cap=self._cap)
        except StoreError as exc:
            # Cannot tell what the others set aside: nothing beyond the planned requests.
            log.warning(
                "budget reservation failed", extra={"delivery": self._id, "error": str(exc)}
            )
            return 0.0

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
        while not self._stop.wait(self._interval) and not self.expired():
            self.heartbeat()


class Attempt:
    """One reviewer call on its own thread, so the runner can stop waiting for a hung one."""

    def __init__(self, call: Callable[[], JobResult], *, name: str) -> None:
        self.result: JobResult | None = None
        self.error: Exception | None = None
        self._call = call
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._late: Callable[[Attempt], None] | None = None
        # A daemon: an abandoned review must not keep the process alive at exit.
        self._thread = threading.Thread(target=self._target, name=name, daemon=True)

    def run_for(self, timeout_s: float) -> bool:
        """Start the call; True once it returned or raised, False if still running at timeout_s."""
        self._thread.start()
        return self._done.wait(timeout_s)

    def abandon(self, on_late: Callable[[Attempt], None]) -> bool:
        """Stop caring: `on_late` gets the attempt when it ends; False if it already ended."""
        with self._lock:
            if self._done.is_set():
                return False
            self._late = on_late
            return True

    def _target(self) -> None:
        try:
            self.result = self._call()
        except Exception as exc:
            self.error = exc
        finally:
            if self.result is None and self.error is None:
                self.error = RuntimeError("the review ended without a result")
            with self._lock:
                self._done.set()
                late = self._late
            if late is not None:
                late(self)
