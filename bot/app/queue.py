"""huey wiring: SqliteHuey by default, RedisHuey when GROK_REVIEW_REDIS_URL is set."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from huey import RedisHuey, SqliteHuey
from huey.api import Huey, TaskWrapper
from huey.consumer import Consumer
from huey.storage import SqliteStorage

from bot.app.store import (
    SQLITE_BUSY_TIMEOUT_S,
    SQLITE_FILE,
    Store,
    StoreError,
    StoreKind,
    open_store,
)

if TYPE_CHECKING:
    from bot.settings import Settings

HUEY_NAME = "grok_review"
TASK_NAME = "review"
MIN_POLL_S = 0.01


class JobQueue:
    """The huey queue (carries delivery ids only) plus the durable store that owns job state."""

    def __init__(self, *, huey: Huey, store: Store, poll_s: float) -> None:
        self.huey = huey
        self.store = store
        self.kind: StoreKind = store.kind
        self.poll_s = poll_s
        self._handler: Callable[[str], None] | None = None
        self._task: TaskWrapper = huey.task(name=TASK_NAME)(self._execute)

    def bind(self, handler: Callable[[str], None]) -> None:
        """Set the function a consumer in this process runs for each delivery id."""
        self._handler = handler

    def submit(self, delivery_id: str, *, delay_s: float = 0.0) -> None:
        """Put a delivery id on the queue, now or after `delay_s` (huey's schedule)."""
        try:
            if delay_s > 0:
                self.huey.add_schedule(self._task.s(delivery_id, delay=delay_s))
            else:
                self.huey.enqueue(self._task.s(delivery_id))
        except Exception as exc:  # huey surfaces raw sqlite3 / redis errors
            raise StoreError(f"queue ({self.kind}): {exc}") from None

    def enqueued_ids(self) -> set[str]:
        """Delivery ids waiting in huey's queue or schedule (for the lost-job sweep)."""
        tasks = [*self.huey.pending(), *self.huey.scheduled()]
        return {str(task.args[0]) for task in tasks if task.args}

    def depth(self) -> int:
        try:
            return int(self.huey.pending_count()) + int(self.huey.scheduled_count())
        except Exception as exc:
            raise StoreError(f"queue ({self.kind}): {exc}") from None

    def consumer(self, *, workers: int) -> Consumer:
        """A thread-based huey consumer whose signals the hosting process owns."""
        return _Consumer(self.huey, workers=workers, poll_s=self.poll_s)

    def close(self) -> None:
        self.store.close()
        # Closing a connection that already broke may fail; there is nothing left to do then.
        with contextlib.suppress(Exception):
            self.huey.storage.close()

    def _execute(self, delivery_id: str) -> None:
        if self._handler is None:
            raise RuntimeError("no job handler bound in this process")
        self._handler(delivery_id)


class _Consumer(Consumer):  # type: ignore[misc]
    """huey's consumer without its signal handlers and with a sub-second scheduler."""

    def __init__(self, huey: Huey, *, workers: int, poll_s: float) -> None:
        self._poll_s = poll_s
        super().__init__(
            huey,
            workers=workers,
            periodic=False,
            initial_delay=poll_s,
            backoff=1.0,
            max_delay=poll_s,
            worker_type="thread",
        )

    def _create_scheduler(self) -> Any:
        scheduler = super()._create_scheduler()
        # huey clamps the interval to >= 1 s; retry delays are settings and may be milliseconds.
        scheduler.interval = self._poll_s
        return scheduler

    def _set_signal_handlers(self) -> None:
        """uvicorn (serve) or run_worker (worker) handles SIGTERM/SIGINT."""


class _SharedLockStorage(SqliteStorage):  # type: ignore[misc]
    """huey's SQLite storage, taking turns with the job store's writers in this process.

    Both write the same file; sharing one lock lets them queue in Python instead of in
    SQLite's busy handler, which sleeps up to 100 ms between retries.
    """

    def __init__(self, name: str, *, lock: threading.RLock | None = None, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        if lock is not None:
            self.lock = lock


def poll_interval(settings: Settings) -> float:
    """How often idle workers look for work: `poll_s`, else the heartbeat period up to 0.5 s."""
    if settings.poll_s is not None:
        return settings.poll_s
    return max(MIN_POLL_S, min(settings.heartbeat_s, 0.5))


def open_queue(settings: Settings) -> JobQueue:
    """The queue and store the settings name (creates the SQLite tables when needed)."""
    store = open_store(settings)
    poll_s = poll_interval(settings)
    huey: Huey
    try:
        if settings.redis_url:
            huey = RedisHuey(HUEY_NAME, url=settings.redis_url, results=False, read_timeout=poll_s)
        else:
            path = settings.data_dir / SQLITE_FILE
            huey = SqliteHuey(
                HUEY_NAME,
                filename=str(path),
                results=False,
                timeout=SQLITE_BUSY_TIMEOUT_S,
                storage_class=_SharedLockStorage,
                lock=getattr(store, "write_lock", None),
            )
    except Exception as exc:
        store.close()
        raise StoreError(f"queue: {exc}") from None
    return JobQueue(huey=huey, store=store, poll_s=poll_s)
