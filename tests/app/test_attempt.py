"""One run of a job: store blips do not cancel it, a lost lease does; the attempt's thread."""

from __future__ import annotations

import threading

from bot.app.attempt import Attempt, RunContext
from bot.app.jobs import JobResult
from bot.app.store import StoreError
from tests.app.helpers import wait_for


class _Store:
    """The store calls a RunContext makes: failing with `down`, else answering `ours` (and
    granting half of what a reservation asks)."""

    def __init__(self) -> None:
        self.down = True
        self.ours = True

    def heartbeat(self, delivery_id: str, *, owner: str, lock_ttl_s: float) -> bool:
        return self._answer()

    def is_current(self, delivery_id: str, *, owner: str) -> bool:
        return self._answer()

    def reserve(self, delivery_id: str, *, owner: str, amount: float, cap: float) -> float:
        self._answer()
        return min(amount / 2, cap)

    def _answer(self) -> bool:
        if self.down:
            raise StoreError("job store (redis): Connection reset by peer")
        return self.ours


def test_a_store_blip_keeps_the_run_going_and_a_lost_lease_cancels_it() -> None:
    store = _Store()
    ctx = RunContext(store, "d-1", owner="w1", interval_s=60, lock_ttl_s=60, timeout_s=60)  # type: ignore[arg-type]
    ctx.heartbeat()
    assert not ctx.cancelled()  # the lease runs on; the next beat may get through
    store.down = False
    assert not ctx.cancelled()
    store.ours = False  # superseded, or revived for another worker
    ctx.heartbeat()
    assert ctx.cancelled() and not ctx.expired()


def test_a_reservation_is_the_stores_grant_nothing_without_a_budget_and_0_when_it_fails() -> None:
    store = _Store()

    def context(cap: float | None) -> RunContext:
        return RunContext(
            store,  # type: ignore[arg-type]
            "d-1",
            owner="w1",
            interval_s=60,
            lock_ttl_s=60,
            timeout_s=60,
            daily_budget_usd=cap,
        )

    assert context(None).reserve_budget(1.0) is None  # no daily budget: the store is not asked
    assert context(5.0).reserve_budget(1.0) == 0.0  # store down: nothing beyond what was planned
    store.down = False
    assert context(5.0).reserve_budget(1.0) == 0.5


def test_an_abandoned_attempt_hands_over_its_late_result() -> None:
    go = threading.Event()
    attempt = Attempt(lambda: JobResult("posted") if go.wait(10) else JobResult("failed"), name="t")
    assert attempt.run_for(0.01) is False
    late: list[Attempt] = []
    assert attempt.abandon(late.append) is True
    go.set()
    wait_for(lambda: late, what="the late call")
    assert late == [attempt] and attempt.result == JobResult("posted")


def test_an_attempt_that_ended_cannot_be_abandoned_and_no_result_is_an_error() -> None:
    attempt = Attempt(lambda: None, name="t")  # type: ignore[arg-type,return-value]
    assert attempt.run_for(5) is True
    assert isinstance(attempt.error, RuntimeError) and attempt.result is None
    assert attempt.abandon(lambda _: None) is False
