"""The job store in SQLite (WAL), in the same file as huey's queue but in its own tables."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.app.jobs import JobResult, ReviewJob
from bot.app.store import sqlite_sql as sql
from bot.app.store.base import (
    CLOSED_DETAIL,
    DELIVERY_TTL_S,
    PROBE_KEY,
    SQLITE_BUSY_TIMEOUT_S,
    Accepted,
    Claim,
    JobRecord,
    JobState,
    StoreError,
    StoreKind,
    granted_amount,
    installation_key,
    newer_head_detail,
    pr_key,
    utc_day,
)


class SqliteStore:
    """One connection per thread; every write is a `BEGIN IMMEDIATE` transaction."""

    kind: StoreKind = "sqlite"

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self._clock = clock
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._guard = threading.Lock()
        # Writers of this process queue here: SQLite's own busy handler sleeps between retries
        # (up to 100 ms each), which under load turned waits into tails of seconds.
        self.write_lock = threading.RLock()
        self._closed = False
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"data dir {path.parent}: {exc.strerror}") from None
        with self._tx() as db:
            for statement in sql.SCHEMA:
                db.execute(statement)
            columns = {row[1] for row in db.execute("PRAGMA table_info(gr_job)")}
            if "comment_id" not in columns:
                db.execute(sql.ADD_COMMENT_ID)
            if "reserved" not in columns:
                db.execute(sql.ADD_RESERVED)

    # --- deliveries and jobs -------------------------------------------------------------

    def accept(self, job: ReviewJob, *, replay_key: str = "") -> Accepted:
        now = self._clock()
        with self._tx() as db:
            if not _first_seen(db, job.delivery_id, replay_key, now):
                return Accepted("replayed")
            if job.trigger == "auto" and _head_taken(db, job):
                return Accepted("duplicate_head")
            superseded: tuple[str, ...] = ()
            if job.head_sha is not None:
                detail = newer_head_detail(job.head_sha)
                rows = db.execute(
                    sql.SUPERSEDE_OLDER, (detail, now, job.repo, job.number, job.head_sha)
                ).fetchall()
                superseded = tuple(r[0] for r in rows)
            db.execute(
                sql.INSERT_JOB,
                (
                    *(job.delivery_id, job.installation_id, job.repo, job.number, job.head_sha),
                    *(job.trigger, job.requested_by, job.comment_id, now, now),
                ),
            )
            return Accepted("queued", superseded)

    def cancel_pr(
        self, *, delivery_id: str, repo: str, number: int, replay_key: str = ""
    ) -> tuple[str, ...] | None:
        now = self._clock()
        with self._tx() as db:
            if not _first_seen(db, delivery_id, replay_key, now):
                return None
            params = (CLOSED_DETAIL, now, repo, number)
            return tuple(r[0] for r in db.execute(sql.SUPERSEDE_ALL, params).fetchall())

    def claim(self, delivery_id: str, *, owner: str, lock_ttl_s: float) -> Claim:
        now = self._clock()
        with self._tx() as db:
            record = _get(db, delivery_id)
            if record is None or record.state != "queued":
                return Claim("gone", record)
            key = pr_key(record.job.repo, record.job.number)
            row = db.execute("SELECT expires FROM gr_lock WHERE pr = ?", (key,)).fetchone()
            if row is not None and row[0] > now:
                return Claim("busy", record)
            db.execute(
                "INSERT OR REPLACE INTO gr_lock (pr, owner, expires) VALUES (?, ?, ?)",
                (key, owner, now + lock_ttl_s),
            )
            db.execute(sql.START_JOB, (owner, now, delivery_id))
            return Claim("claimed", _get(db, delivery_id))

    def heartbeat(self, delivery_id: str, *, owner: str, lock_ttl_s: float) -> bool:
        now = self._clock()
        with self._tx() as db:
            cur = db.execute(
                "UPDATE gr_job SET touched = ? WHERE id = ? AND state = 'running' AND owner = ?",
                (now, delivery_id, owner),
            )
            if cur.rowcount == 0:
                return False
            db.execute("UPDATE gr_lock SET expires = ? WHERE owner = ?", (now + lock_ttl_s, owner))
            return True

    def is_current(self, delivery_id: str, *, owner: str) -> bool:
        record = self.get(delivery_id)
        return record is not None and record.state == "running" and record.owner == owner

    def release(self, delivery_id: str, *, owner: str) -> bool:
        with self._tx() as db:
            cur = db.execute(sql.REQUEUE_JOB, (self._clock(), delivery_id, owner))
            db.execute("DELETE FROM gr_lock WHERE owner = ?", (owner,))
            return cur.rowcount > 0

    def finish(self, delivery_id: str, *, owner: str, state: JobState, result: JobResult) -> bool:
        now = self._clock()
        with self._tx() as db:
            row = db.execute(
                "SELECT installation_id FROM gr_job WHERE id = ?", (delivery_id,)
            ).fetchone()
            if row is not None and result.cost_usd > 0:
                # The money is spent whatever became of the record meanwhile.
                spend = (installation_key(row[0]), utc_day(now), result.cost_usd)
                db.execute(sql.ADD_SPEND, spend)
            params = (state, result.status, result.detail, now, delivery_id, owner)
            cur = db.execute(sql.FINISH_JOB, params)
            db.execute(
                "UPDATE gr_job SET status = ? WHERE id = ? AND state = 'superseded' AND owner = ?",
                (result.status, delivery_id, owner),
            )
            db.execute("DELETE FROM gr_lock WHERE owner = ?", (owner,))
            return cur.rowcount > 0

    def get(self, delivery_id: str) -> JobRecord | None:
        with self._tx(write=False) as db:
            return _get(db, delivery_id)

    # --- maintenance ---------------------------------------------------------------------

    def revive_stale(self, *, stale_after_s: float, max_attempts: int) -> list[str]:
        now = self._clock()
        cutoff = now - stale_after_s
        with self._tx() as db:
            db.execute(sql.FAIL_STALE, (now, cutoff, max_attempts))
            rows = db.execute(sql.REQUEUE_STALE, (now, cutoff)).fetchall()
            return [r[0] for r in rows]

    def lost_queued(self, *, older_than_s: float) -> list[str]:
        cutoff = self._clock() - older_than_s
        with self._tx(write=False) as db:
            rows = db.execute(
                "SELECT id FROM gr_job WHERE state = 'queued' AND touched < ?", (cutoff,)
            ).fetchall()
            return [r[0] for r in rows]

    def touch(self, delivery_ids: list[str], *, older_than_s: float) -> list[str]:
        now = self._clock()
        touched = []
        with self._tx() as db:
            for delivery_id in delivery_ids:
                cur = db.execute(sql.TOUCH_QUEUED, (now, delivery_id, now - older_than_s))
                if cur.rowcount:
                    touched.append(delivery_id)
        return touched

    def prune(self, *, older_than_s: float = DELIVERY_TTL_S) -> None:
        cutoff = self._clock() - older_than_s
        with self._tx() as db:
            db.execute("DELETE FROM gr_delivery WHERE received < ?", (cutoff,))
            db.execute(
                "DELETE FROM gr_job WHERE state NOT IN ('queued', 'running') AND touched < ?",
                (cutoff,),
            )
            db.execute("DELETE FROM gr_notice WHERE day < ?", (utc_day(cutoff),))

    # --- budget, health ------------------------------------------------------------------

    def spent_today(self, installation_id: int | None) -> float:
        with self._tx(write=False) as db:
            return _spent(db, installation_id, self._clock())

    def reserve(self, delivery_id: str, *, owner: str, amount: float, cap: float) -> float:
        with self._tx() as db:
            row = db.execute(
                "SELECT installation_id FROM gr_job WHERE id = ? AND state = 'running' "
                "AND owner = ?",
                (delivery_id, owner),
            ).fetchone()
            if row is None:
                return 0.0
            spent = _spent(db, row[0], self._clock())
            others = db.execute(sql.RESERVED_BY_OTHERS, (row[0], delivery_id)).fetchone()[0]
            granted = granted_amount(amount, cap, spent=spent, others=others)
            db.execute("UPDATE gr_job SET reserved = ? WHERE id = ?", (granted, delivery_id))
            return granted

    def claim_notice(self, *, repo: str, number: int) -> bool:
        with self._tx() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO gr_notice (pr, day) VALUES (?, ?)",
                (pr_key(repo, number), utc_day(self._clock())),
            )
            return cur.rowcount > 0

    def counts(self) -> dict[str, int]:
        with self._tx(write=False) as db:
            rows = db.execute("SELECT state, count(*) FROM gr_job GROUP BY state").fetchall()
            return {state: int(n) for state, n in rows}

    def save_feedback(self, repo: str, stats: str) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO gr_feedback (repo, stats, saved) VALUES (?, ?, ?)",
                (repo, stats, self._clock()),
            )

    def load_feedback(self, *, newer_than_s: float) -> dict[str, tuple[str, float]]:
        with self._tx(write=False) as db:
            rows = db.execute(
                "SELECT repo, stats, saved FROM gr_feedback WHERE saved >= ? ORDER BY repo",
                (self._clock() - newer_than_s,),
            ).fetchall()
            return {repo: (stats, float(saved)) for repo, stats, saved in rows}

    def ping(self) -> None:
        with self._tx() as db:
            # The tables (and indexes) every delivery writes: a committed write to each.
            db.execute(
                "INSERT OR REPLACE INTO gr_delivery (id, received) VALUES (?, ?)",
                (PROBE_KEY, self._clock()),
            )
            db.execute("UPDATE gr_job SET touched = touched WHERE id = ?", (PROBE_KEY,))

    def close(self) -> None:
        with self._guard:
            self._closed = True
            for conn in self._all:
                conn.close()
            self._all.clear()

    # --- plumbing ------------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        if self._closed:
            raise StoreError("job store is closed")
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path,
                timeout=SQLITE_BUSY_TIMEOUT_S,
                isolation_level=None,
                check_same_thread=False,
            )
            _set_wal(conn)
            with self._guard:
                self._all.append(conn)
            self._local.conn = conn
        return conn

    @contextmanager
    def _tx(self, *, write: bool = True) -> Iterator[sqlite3.Connection]:
        with self.write_lock if write else contextlib.nullcontext():
            try:
                conn = self._conn()
                if conn.in_transaction:  # a failed COMMIT can leave one open
                    conn.execute("ROLLBACK")
                conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                try:
                    yield conn
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                raise StoreError(f"job store {self.path}: {exc}") from None


def _set_wal(conn: sqlite3.Connection) -> None:
    # Switching a fresh file to WAL needs a write lock; another process may hold it briefly.
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _first_seen(db: sqlite3.Connection, delivery_id: str, replay_key: str, now: float) -> bool:
    """Remember the delivery and its replay key; True when neither was seen before."""
    if replay_key:
        seen = db.execute("SELECT 1 FROM gr_delivery WHERE id = ?", (replay_key,)).fetchone()
        if seen is not None:
            return False
    if not _remember(db, delivery_id, now):
        return False
    if replay_key:
        _remember(db, replay_key, now)
    return True


def _remember(db: sqlite3.Connection, delivery_id: str, now: float) -> bool:
    cur = db.execute(
        "INSERT OR IGNORE INTO gr_delivery (id, received) VALUES (?, ?)", (delivery_id, now)
    )
    return cur.rowcount > 0


def _spent(db: sqlite3.Connection, installation_id: int | None, now: float) -> float:
    """What the installation spent on the UTC day of `now`."""
    row = db.execute(
        "SELECT usd FROM gr_spend WHERE installation = ? AND day = ?",
        (installation_key(installation_id), utc_day(now)),
    ).fetchone()
    return float(row[0]) if row else 0.0


def _head_taken(db: sqlite3.Connection, job: ReviewJob) -> bool:
    row = db.execute(sql.HEAD_TAKEN, (job.repo, job.number, job.head_sha)).fetchone()
    return row is not None


def _get(db: sqlite3.Connection, delivery_id: str) -> JobRecord | None:
    row = db.execute(sql.SELECT_JOB, (delivery_id,)).fetchone()
    if row is None:
        return None
    # SELECT_JOB lists ReviewJob's fields, then the rest of JobRecord's, each in field order.
    return JobRecord(ReviewJob(*row[:8]), *row[8:])
