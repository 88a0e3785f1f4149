"""Reservations of the daily budget: concurrent jobs of one installation share it, never twice."""

from __future__ import annotations

import pytest

from bot.app.jobs import JobResult, ReviewJob
from bot.app.store import Store, open_store
from bot.app.store.base import granted_amount
from tests.app.conftest import SettingsFactory


def job(delivery: str, installation: int | None, number: int) -> ReviewJob:
    return ReviewJob(delivery, installation, "o/r", number, f"{number:x}" * 40, "auto")


def running(store: Store, j: ReviewJob, owner: str) -> None:
    store.accept(j)
    assert store.claim(j.delivery_id, owner=owner, lock_ttl_s=60).outcome == "claimed"


@pytest.fixture
def store(make: SettingsFactory):
    s = open_store(make())
    try:
        yield s
    finally:
        s.close()


def test_running_jobs_of_one_installation_share_the_budget_left(store: Store) -> None:
    a, b, c, other = job("a", 7, 1), job("b", 7, 2), job("c", 7, 3), job("x", 8, 4)
    for j, owner in ((a, "wa"), (b, "wb"), (c, "wc"), (other, "wx")):
        running(store, j, owner)
    cap = 1.0
    assert store.reserve("a", owner="wa", amount=0.6, cap=cap) == pytest.approx(0.6)
    assert store.reserve("b", owner="wb", amount=0.6, cap=cap) == pytest.approx(0.4)
    assert store.reserve("c", owner="wc", amount=0.3, cap=cap) == 0.0
    # Another installation has its own budget.
    assert store.reserve("x", owner="wx", amount=0.9, cap=cap) == pytest.approx(0.9)
    # A job asking again replaces its own reservation rather than adding to it.
    assert store.reserve("a", owner="wa", amount=0.5, cap=cap) == pytest.approx(0.5)
    assert store.reserve("c", owner="wc", amount=0.3, cap=cap) == pytest.approx(0.1)


def test_a_finished_job_counts_what_it_spent_not_what_it_reserved(store: Store) -> None:
    a, b = job("a", 7, 1), job("b", 7, 2)
    running(store, a, "wa")
    running(store, b, "wb")
    assert store.reserve("a", owner="wa", amount=0.8, cap=1.0) == pytest.approx(0.8)
    store.finish("a", owner="wa", state="done", result=JobResult("posted", cost_usd=0.25))
    assert store.spent_today(7) == pytest.approx(0.25)
    assert store.reserve("b", owner="wb", amount=2.0, cap=1.0) == pytest.approx(0.75)


def test_a_job_given_back_or_lost_holds_nothing(store: Store) -> None:
    a, b = job("a", None, 1), job("b", None, 2)
    running(store, a, "wa")
    running(store, b, "wb")
    assert store.reserve("a", owner="wa", amount=1.0, cap=1.0) == pytest.approx(1.0)
    assert store.reserve("b", owner="wb", amount=1.0, cap=1.0) == 0.0
    assert store.release("a", owner="wa")  # back to queued: its reservation is over
    assert store.reserve("b", owner="wb", amount=1.0, cap=1.0) == pytest.approx(1.0)
    # Claimed again, it starts from nothing, and an attempt that lost the job gets nothing.
    assert store.claim("a", owner="wa2", lock_ttl_s=60).outcome == "claimed"
    assert store.reserve("a", owner="wa2", amount=1.0, cap=1.0) == 0.0
    assert store.reserve("a", owner="wa", amount=1.0, cap=1.0) == 0.0


def test_granted_amount_is_never_negative_nor_more_than_asked() -> None:
    assert granted_amount(0.5, 1.0, spent=0.2, others=0.1) == pytest.approx(0.5)
    assert granted_amount(0.9, 1.0, spent=0.2, others=0.1) == pytest.approx(0.7)
    assert granted_amount(0.9, 1.0, spent=1.5, others=0.0) == 0.0
