"""Fixtures of the review tests: the fake GitHub with the PR (checked never to be approved),
settings for both fakes, and the publisher's recorded sleeps."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.github import publish as github_publish
from bot.settings import Settings
from tests.fakes.github import FakeGitHub
from tests.fakes.openai_server import FakeModel
from tests.github.review.helpers import (
    BASE,
    HEAD,
    NUMBER,
    REPO,
    V1,
    make_settings,
)


@pytest.fixture
def fake(fake_github: FakeGitHub) -> Iterator[FakeGitHub]:
    fake_github.add_pr(REPO, NUMBER, base_sha=BASE, head_sha=HEAD, files=V1, title="Loop fix")
    yield fake_github
    # Whatever a test did: the bot never approves.
    events = [r.json.get("event") for r in fake_github.requests if isinstance(r.json, dict)]
    assert "APPROVE" not in events


@pytest.fixture
def settings(fake: FakeGitHub, model: FakeModel) -> Settings:
    return make_settings(fake, model)


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waits: list[float] = []
    monkeypatch.setattr(github_publish, "_sleep", waits.append)
    return waits
