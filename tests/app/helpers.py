"""Helpers for the webhook-service tests: settings, a real uvicorn in a thread, a real
redis-server, signed deliveries of the recorded payloads, and a fake reviewer that records
what it did in SQLite (so it works across processes and is idempotent by head, like the real
one). Imported by tests/test_app_*.py; not a pytest conftest (tests/conftest.py is shared)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from bot.app.jobs import JobContext, JobResult, ReviewJob
from bot.app.queue import JobQueue, open_queue
from bot.app.signature import sign_body
from bot.app.store import JobRecord
from bot.settings import Settings
from tests import DATA, ROOT

WEBHOOKS = DATA / "webhooks"
SECRET = "It's a Secret to Everybody"
# Every wait is a setting: milliseconds here so the whole suite stays fast.
FAST = {
    "heartbeat_s": 0.05,
    "stale_after_s": 0.6,
    "requeue_interval_s": 0.1,
    "job_retry_delay_s": 0.05,
    "job_retries": 2,
}


def payload(name: str) -> dict[str, Any]:
    """A recorded payload from tests/data/webhooks (see its README for provenance).

    Parsed afresh on every call, so callers may change what they get without copying it.
    """
    data: dict[str, Any] = json.loads((WEBHOOKS / f"{name}.json").read_text())
    return data


def with_head(name: str, sha: str, *, installation: int | None = None) -> dict[str, Any]:
    """A recorded pull_request payload whose head moved to `sha` (as after a push)."""
    data = payload(name)
    data["pull_request"]["head"]["sha"] = sha
    if "after" in data:
        data["after"] = sha
    if installation is not None:
        data["installation"] = {"id": installation}
    return data


def pr_comment(
    body: str, *, association: str = "MEMBER", user_type: str = "User"
) -> dict[str, Any]:
    """issue_comment.created turned into a comment on a PR.

    The package has no issue_comment example on a pull request (see the webhooks README), so
    this sets `issue.pull_request` the way GitHub does for PR comments and changes the body,
    author_association and user.type; everything else is the recorded payload.
    """
    data = payload("issue_comment.created")
    issue = data["issue"]
    issue["pull_request"] = {
        "url": issue["url"].replace("/issues/", "/pulls/"),
        "html_url": issue["html_url"].replace("/issues/", "/pull/"),
    }
    data["comment"].update(body=body, author_association=association)
    data["comment"]["user"]["type"] = user_type
    return data


def make_settings(data_dir: Path, *, redis_url: str | None = None, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "github_webhook_secret": SECRET,
        "github_app_id": "29310",
        "data_dir": data_dir,
        "redis_url": redis_url,
        **FAST,
    }
    values.update(overrides)
    return Settings(**values)


def signed(body: bytes, event: str | None, *, delivery: str | None = None) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": sign_body(secret=SECRET, body=body),
    }
    if event is not None:
        headers["X-GitHub-Event"] = event
    headers["X-GitHub-Delivery"] = delivery or str(uuid.uuid4())
    return headers


def deliver(
    client: httpx.Client, event: str, data: dict[str, Any], *, delivery: str | None = None
) -> httpx.Response:
    body = json.dumps(data).encode()
    return client.post("/webhook", content=body, headers=signed(body, event, delivery=delivery))


def wait_for(predicate: Callable[[], Any], *, timeout: float = 8.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


# --- servers ---------------------------------------------------------------------------------


class ThreadServer(uvicorn.Server):
    """uvicorn in a thread on a socket we bound (the encode/httpx `serve_in_thread` pattern)."""

    def __init__(self, app: Any) -> None:
        super().__init__(uvicorn.Config(app, log_config=None, lifespan="on"))
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only when proto says TCP, and without
        # it every keep-alive response waits ~40 ms for a delayed ACK (Nagle).
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    @contextlib.contextmanager
    def running(self) -> Iterator[httpx.Client]:
        thread = threading.Thread(target=self.run, kwargs={"sockets": [self.sock]}, daemon=True)
        thread.start()
        try:
            wait_for(lambda: self.started or not thread.is_alive(), what="uvicorn start")
            assert self.started, "uvicorn did not start"
            with httpx.Client(base_url=self.url, timeout=10) as client:
                yield client
        finally:
            self.should_exit = True
            thread.join(timeout=10)
            self.sock.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """A real throwaway redis-server on a free port; skips when it is not installed."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        args = [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        proc = subprocess.Popen([*args, "--dir", tmp], stdout=subprocess.DEVNULL)
        try:
            url = f"redis://127.0.0.1:{port}/0"
            import redis

            client = redis.Redis.from_url(url)
            wait_for(lambda: _pings(client), what="redis-server")
            client.close()
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def _pings(client: Any) -> bool:
    try:
        return bool(client.ping())
    except Exception:
        return False


def flush_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    client.flushall()
    client.close()


def reset(queue: JobQueue) -> None:
    """Empty the store and huey's queue between tests that share one app."""
    if queue.kind == "redis":
        queue.huey.storage.conn.flushdb()  # the store's keys live in the same database
        return
    queue.huey.flush()
    with contextlib.closing(sqlite3.connect(queue.store.path)) as conn:  # type: ignore[attr-defined]
        for table in ("gr_delivery", "gr_job", "gr_lock", "gr_spend", "gr_notice"):
            conn.execute(f"DELETE FROM {table}")
        conn.commit()


@contextlib.contextmanager
def opened_queue(settings: Settings) -> Iterator[JobQueue]:
    queue = open_queue(settings)
    try:
        yield queue
    finally:
        queue.close()


def finished(queue: JobQueue, delivery: str) -> JobRecord | None:
    """The job's record once it left `queued`/`running`, else None (for wait_for)."""
    record = queue.store.get(delivery)
    return record if record is not None and record.state not in ("queued", "running") else None


# --- the fake reviewer -----------------------------------------------------------------------


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
                "repo TEXT, number INT, head TEXT, trigger TEXT, pid INT, start REAL, end REAL)"
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
                "INSERT INTO calls (delivery, repo, number, head, trigger, pid, start) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    job.delivery_id,
                    job.repo,
                    job.number,
                    job.head_sha,
                    job.trigger,
                    os.getpid(),
                    time.time(),
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


# --- a worker in a subprocess (for kill -9 and SIGTERM) ---------------------------------------


def spawn_worker(
    settings: Settings, *, reviewer_db: Path, block: bool, grace_s: float = 0.2
) -> subprocess.Popen[bytes]:
    spec = {
        "settings": {k: v for k, v in settings.model_dump(mode="json").items() if v is not None},
        "reviewer_db": str(reviewer_db),
        "block": block,
        "grace_s": grace_s,
    }
    return _spawn("worker_main", spec)


def worker_main(spec_json: str) -> None:
    """Entry point of the worker subprocess: `run_worker` with a FakeReviewer."""
    from bot.app.logs import configure_logging
    from bot.app.pool import run_worker

    spec = json.loads(spec_json)
    configure_logging(level="WARNING")
    gate = (lambda: False) if spec["block"] else None
    reviewer = FakeReviewer(Path(spec["reviewer_db"]), gate=gate)
    run_worker(Settings(**spec["settings"]), reviewer=reviewer, workers=1, grace_s=spec["grace_s"])


def spawn_server(settings: Settings, *, reviewer_db: Path, port: int) -> subprocess.Popen[bytes]:
    """`run_server` (uvicorn + embedded workers) in a subprocess, logging JSON to stderr."""
    spec = {
        "settings": {k: v for k, v in settings.model_dump(mode="json").items() if v is not None},
        "reviewer_db": str(reviewer_db),
        "port": port,
    }
    return _spawn("server_main", spec)


def server_main(spec_json: str) -> None:
    from bot.app.logs import configure_logging
    from bot.app.main import run_server

    spec = json.loads(spec_json)
    settings = Settings(**spec["settings"])
    configure_logging(level="INFO", secrets=[settings.github_webhook_secret])
    reviewer = FakeReviewer(Path(spec["reviewer_db"]))
    run_server(
        settings, reviewer=reviewer, host="127.0.0.1", port=spec["port"], workers=1, grace_s=1.0
    )


def _spawn(entry: str, spec: dict[str, Any]) -> subprocess.Popen[bytes]:
    code = "import sys; sys.path.insert(0, sys.argv[1]); import tests.app.helpers as c; "
    code += f"c.{entry}(sys.argv[2])"
    return subprocess.Popen(
        [sys.executable, "-c", code, str(ROOT), json.dumps(spec)],
        cwd=ROOT,  # so `bot` imports from this checkout even when not installed
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
