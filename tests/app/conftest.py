"""Fixtures of the App tests: a real redis-server, and settings once per store backend."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.settings import Settings
from tests.app.helpers import flush_redis, make_settings, redis_server

SettingsFactory = Callable[..., Settings]


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """One real redis-server per test module."""
    with redis_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "redis"])
def make(request: pytest.FixtureRequest, tmp_path: Path) -> SettingsFactory:
    """Settings for a fresh data dir, once per backend (Redis flushed first)."""
    url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    if url:
        flush_redis(url)
    return lambda **overrides: make_settings(tmp_path / "data", redis_url=url, **overrides)
