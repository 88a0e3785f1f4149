"""A fake App reviewer that records what it did in SQLite, so it works across processes and
is idempotent by head, like the real one."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from bot.app.jobs import JobContext, JobResult, ReviewJob


class FakeReviewer:
    """Records calls and posts in SQLite. Automatic posts are unique per head, as the real
    reviewer's exactly-once check makes them; `gate` makes review() wait (honouring
    ctx.cancelled()) until it returns True; `fail_times` raises that many times first."""

    def __init__(
        self,
        db: Path,
        *,
        gate: Callable[[], bool] | None = None,
        fail_times: int = 0,
        cost_usd: float = 0.0,
        hold_s: float = 0.0,
    ) -> None:
        self.db = db
        self.gate = gate
        self.fail_times = fail_times
        self.cost_usd = cost_usd
        self.hold_s = hold_s
        with self._conn() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS calls (n INTEGER PRIMARY KEY, delivery TEXT, "
                "repo TEXT, number INT, head TEXT, trigger TEXT, pid INT, start REAL, end REAL, "
                "budget REAL)"
            )
            conn.execute(
                "CREATE TABLE IF NOT EXISTS posts (key TEXT PRIMARY KEY, delivery TEXT, head TEXT)"
            )
            conn.execute(
                "CREATE TABLE IF NOT EXISTS notices (delivery TEXT, number INT, text TEXT)"
            )

    def review(self, job: ReviewJob, ctx: JobContext) -> JobResult:
        with self._conn() as conn:
            n = conn.execute(
                "INSERT INTO calls (delivery, repo, number, head, trigger, pid, start, budget) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    job.delivery_id,
                    job.repo,
                    job.number,
                    job.head_sha,
                    job.trigger,
                    os.getpid(),
                    time.time(),
                    ctx.budget_left_usd,
                ),
            ).lastrowid
        try:
            return self._review(job, ctx)
        finally:
            with self._conn() as conn:
                conn.execute("UPDATE calls SET end = ? WHERE n = ?", (time.time(), n))

    def _review(self, job: ReviewJob, ctx: JobContext) -> JobResult:
        deadline = time.monotonic() + self.hold_s
        while (self.gate is not None and not self.gate()) or time.monotonic() < deadline:
            ctx.heartbeat()
            if ctx.cancelled():
                return JobResult("superseded", detail="newer head")
            time.sleep(0.01)
        if self.fail_times > 0:
            self.fail_times -= 1
            raise RuntimeError("boom: model server said no (token ghp_" + "a1" * 18 + ")")
        if job.trigger == "auto":
            key = f"auto:{job.repo}#{job.number}@{job.head_sha}"
        else:
            key = f"{job.trigger}:{job.delivery_id}"
        with self._conn() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO posts (key, delivery, head) VALUES (?, ?, ?)",
                (key, job.delivery_id, job.head_sha),
            )
        return JobResult("posted", cost_usd=self.cost_usd, prompt_tokens=1000, completion_tokens=50)

    def post_notice(self, job: ReviewJob, text: str) -> None:
        with self._conn() as conn:
            conn.execute(
                "INSERT INTO notices VALUES (?, ?, ?)", (job.delivery_id, job.number, text)
            )

    def calls(self) -> list[sqlite3.Row]:
        return self._rows("SELECT * FROM calls ORDER BY n")

    def posts(self) -> list[sqlite3.Row]:
        return self._rows("SELECT * FROM posts")

    def notices(self) -> list[sqlite3.Row]:
        return self._rows("SELECT * FROM notices")

    def _rows(self, sql: str) -> list[sqlite3.Row]:
        with self._conn() as conn:
            conn.row_factory = sqlite3.Row
            return list(conn.execute(sql))

    @contextlib.contextmanager
    def _conn(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.db, timeout=10, isolation_level=None)
        try:
            yield conn
        finally:
            conn.close()
