"""Fixtures of the App tests: a real redis-server, settings once per store backend, a web app
without a reviewer shared by a module, and the fake model."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from bot.app.queue import JobQueue
from bot.settings import Settings
from tests.app.helpers import backend_redis, make_settings, redis_server, reset, web_app
from tests.fakes.openai_server import FakeModel

SettingsFactory = Callable[..., Settings]


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """One real redis-server per test module."""
    with redis_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "redis"])
def make(request: pytest.FixtureRequest, tmp_path: Path) -> SettingsFactory:
    """Settings for a fresh data dir, once per backend (Redis flushed first)."""
    url = backend_redis(request)
    return lambda **overrides: make_settings(tmp_path / "data", redis_url=url, **overrides)


@pytest.fixture
def model(fake_model: FakeModel) -> FakeModel:
    """The fake model server, nothing scripted (a module scripts it, or overrides this)."""
    return fake_model


@pytest.fixture(scope="module", params=["sqlite", "redis"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[httpx.Client, JobQueue]]:
    """One web app per backend for the module (no reviewer: accepted jobs stay queued)."""
    data_dir = tmp_path_factory.mktemp(request.param)
    settings = make_settings(data_dir, redis_url=backend_redis(request))
    with web_app(settings) as (client, queue):
        yield client, queue


@pytest.fixture
def app(served: tuple[httpx.Client, JobQueue]) -> tuple[httpx.Client, JobQueue]:
    """The module's `served` app, its store and queue emptied."""
    reset(served[1])
    return served
