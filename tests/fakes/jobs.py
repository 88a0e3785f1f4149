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
        self.reserved: list[float] = []
        self._cancel = cancel

    def reserve_budget(self, worst_usd: float) -> float | None:
        """The budget left, all of it for this job (it runs alone); each ask is recorded."""
        self.reserved.append(worst_usd)
        return None if self.budget_left_usd is None else min(worst_usd, self.budget_left_usd)

    def heartbeat(self) -> None:
        self.beats += 1

    def cancelled(self) -> bool:
        return self._cancel() if callable(self._cancel) else self._cancel
