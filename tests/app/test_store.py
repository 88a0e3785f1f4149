"""The SQLite job store's clean-up: what prune() forgets and what it must keep."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from bot.app.jobs import JobResult, ReviewJob
from bot.app.store import DELIVERY_TTL_S
from bot.app.store.sqlite import SqliteStore

DONE = ReviewJob("d-done", 3, "o/r", 1, "a" * 40, "auto")
LIVE = ReviewJob("d-live", 3, "o/r", 2, "b" * 40, "auto")


def _rows(path: Path, table: str) -> int:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_prune_forgets_finished_jobs_deliveries_and_notices_past_the_ttl(tmp_path: Path) -> None:
    path, now = tmp_path / "queue.sqlite3", [1_000_000.0]
    store = SqliteStore(path, clock=lambda: now[0])
    try:
        store.accept(DONE)
        store.claim(DONE.delivery_id, owner="w1", lock_ttl_s=60)
        store.finish(DONE.delivery_id, owner="w1", state="done", result=JobResult("posted"))
        store.claim_notice(repo="o/r", number=1)
        now[0] += DELIVERY_TTL_S - 1
        store.accept(LIVE)  # queued long after the first, so its delivery is young
        store.prune()
        assert store.get(DONE.delivery_id) is not None  # not old enough yet
        now[0] += 2
        store.prune()
        assert store.get(DONE.delivery_id) is None
        assert _rows(path, "gr_delivery") == 1  # LIVE's
        record = store.get(LIVE.delivery_id)
        assert record is not None and record.state == "queued"
        # Notices go by UTC day: kept while the cutoff still falls on the day they were sent.
        assert _rows(path, "gr_notice") == 1
        now[0] += 86400
        store.prune()
        assert _rows(path, "gr_notice") == 0
        # The delivery id is forgotten with it: a redelivery now counts as new, not a replay.
        assert store.accept(DONE).outcome == "queued"
    finally:
        store.close()


def test_prune_keeps_queued_and_running_jobs_however_old(tmp_path: Path) -> None:
    now = [1_000_000.0]
    store = SqliteStore(tmp_path / "queue.sqlite3", clock=lambda: now[0])
    try:
        store.accept(DONE)
        store.accept(LIVE)
        store.claim(DONE.delivery_id, owner="w1", lock_ttl_s=60)
        now[0] += 2 * DELIVERY_TTL_S
        store.prune()
        assert store.counts() == {"running": 1, "queued": 1}
    finally:
        store.close()
