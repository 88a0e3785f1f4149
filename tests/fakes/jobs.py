"""A fake App job context, for calling a reviewer directly instead of through the worker pool."""

from __future__ import annotations

from collections.abc import Callable


class FakeJobContext:
    """What a worker hands a reviewer (bot.app.jobs.JobContext): the daily budget left,
    heartbeats (counted in `beats`), and whether the job was superseded: `cancel`, or what
    `cancel()` returns when it is a function."""

    def __init__(
        self, *, budget: float | None = None, cancel: bool | Callable[[], bool] = False
    ) -> None:
        self.budget_left_usd = budget
        self.beats = 0
        self._cancel = cancel

    def heartbeat(self) -> None:
        self.beats += 1

    def cancelled(self) -> bool:
        return self._cancel() if callable(self._cancel) else self._cancel
