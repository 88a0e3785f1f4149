"""Helpers for the webhook-service tests: settings, a real uvicorn in a thread, a real
redis-server, signed deliveries of the recorded payloads. The fake reviewer is in
tests/fakes/reviewer.py, worker and server subprocesses in tests/app/processes.py."""

from __future__ import annotations

import contextlib
import itertools
import json
import shutil
import socket
import sqlite3
import subprocess
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

from bot.app.jobs import Reviewer
from bot.app.queue import JobQueue, open_queue
from bot.app.reviewer import AppReviewer
from bot.app.signature import sign_body
from bot.app.store import JobRecord
from bot.app.web import create_app
from bot.github.api import GitHubClient
from bot.settings import Settings
from tests import DATA

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


_COMMENT_IDS = itertools.count(1_000_000_000)


def pr_comment(
    body: str, *, association: str = "MEMBER", user_type: str = "User"
) -> dict[str, Any]:
    """issue_comment.created turned into a comment on a PR.

    The package has no issue_comment example on a pull request (see the webhooks README), so
    this sets `issue.pull_request` the way GitHub does for PR comments and changes the body,
    author_association and user.type; everything else is the recorded payload. Each call is
    a new comment, with an id of its own (the App accepts each comment id once).
    """
    data = payload("issue_comment.created")
    data["comment"]["id"] = next(_COMMENT_IDS)
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

    def __init__(self, app: Any, **options: Any) -> None:
        super().__init__(uvicorn.Config(app, log_config=None, lifespan="on", **options))
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


def backend_redis(request: pytest.FixtureRequest) -> str | None:
    """The Redis URL when the parametrized backend (`request.param`) is "redis", flushed
    (from the module's `redis_url` fixture); None for "sqlite"."""
    url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    if url:
        flush_redis(url)
    return url


def reset(queue: JobQueue) -> None:
    """Empty the store and huey's queue between tests that share one app."""
    if queue.kind == "redis":
        queue.huey.storage.conn.flushdb()  # the store's keys live in the same database
        return
    queue.huey.flush()
    with contextlib.closing(sqlite3.connect(queue.store.path)) as conn:  # type: ignore[attr-defined]
        # Every table of the job store (gr_*), so one added later is emptied too.
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        for (table,) in rows:
            if table.startswith("gr_"):
                conn.execute(f"DELETE FROM {table}")
        conn.commit()


@contextlib.contextmanager
def opened_queue(settings: Settings) -> Iterator[JobQueue]:
    queue = open_queue(settings)
    try:
        yield queue
    finally:
        queue.close()


@contextlib.contextmanager
def web_app(
    settings: Settings, reviewer: Reviewer | None = None, *, workers: int = 1, grace_s: float = 2.0
) -> Iterator[tuple[httpx.Client, JobQueue]]:
    """The App under uvicorn over a queue of its own; with a reviewer, `workers` job threads."""
    with opened_queue(settings) as queue:
        app = create_app(settings, queue=queue, reviewer=reviewer, workers=workers, grace_s=grace_s)
        with ThreadServer(app).running() as client:
            yield client, queue


@contextlib.contextmanager
def app_with_reviewer(settings: Settings) -> Iterator[tuple[httpx.Client, JobQueue]]:
    """web_app with the real AppReviewer, reaching GitHub with the token in `settings`."""
    reviewer = AppReviewer(settings, client_for=lambda _: GitHubClient.from_token(settings))
    with web_app(settings, reviewer) as served:
        yield served


def finished(queue: JobQueue, delivery: str) -> JobRecord | None:
    """The job's record once it left `queued`/`running`, else None (for wait_for)."""
    record = queue.store.get(delivery)
    return record if record is not None and record.state not in ("queued", "running") else None
