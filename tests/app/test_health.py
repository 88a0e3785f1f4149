"""GET /healthz reflects whether the store takes writes, not only whether it answers reads."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from bot.app.queue import JobQueue
from bot.app.store.base import SQLITE_FILE
from tests.app.helpers import backend_redis, deliver, make_settings, payload, web_app


@pytest.fixture(params=["sqlite", "redis"])
def app(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[httpx.Client, JobQueue, Any]]:
    settings = make_settings(tmp_path, redis_url=backend_redis(request))
    with web_app(settings) as (client, queue):
        yield client, queue, settings


def _refuse_writes(settings: Any) -> Any:
    """Make the store refuse writes while reads still work; return how to undo it."""
    if settings.redis_url:
        client = redis.Redis.from_url(settings.redis_url)
        client.config_set("min-replicas-to-write", 1)  # NOREPLICAS on every write

        def undo() -> None:
            client.config_set("min-replicas-to-write", 0)
            client.close()

        return undo
    # Another process's view of a broken file: every write to the delivery table fails
    # (as with a corrupted page or a full disk), reads still answer.
    db = sqlite3.connect(settings.data_dir / SQLITE_FILE, isolation_level=None)
    db.execute(
        "CREATE TRIGGER gr_test_broken BEFORE INSERT ON gr_delivery "
        "BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"
    )

    def undo_sqlite() -> None:
        db.execute("DROP TRIGGER gr_test_broken")
        db.close()

    return undo_sqlite


def test_healthz_is_503_while_the_store_cannot_be_written(app: Any) -> None:
    client, queue, settings = app
    assert client.get("/healthz").status_code == 200
    undo = _refuse_writes(settings)
    try:
        queue.store.counts()  # reads still answer (this raises StoreError when they do not)
        down = client.get("/healthz")
        assert down.status_code == 503 and down.json()["status"] == "unavailable"
        # What the health check now says is what a delivery meets.
        assert deliver(client, "pull_request", payload("pull_request.opened")).status_code == 503
    finally:
        undo()
    assert client.get("/healthz").status_code == 200
    assert deliver(client, "pull_request", payload("pull_request.opened")).status_code == 202
