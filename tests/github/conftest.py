"""Fixtures of the GitHub tests: the fake model under the name they use, and review-pr's
environment pointed at both fakes."""

from __future__ import annotations

import pytest

from tests.fakes.github import FakeGitHub
from tests.fakes.openai_server import FakeModel


@pytest.fixture
def model(fake_model: FakeModel) -> FakeModel:
    """The fake model server, nothing scripted (a module scripts it, or overrides this)."""
    return fake_model


@pytest.fixture
def cli_env(
    fake: FakeGitHub, model: FakeModel, monkeypatch: pytest.MonkeyPatch
) -> pytest.MonkeyPatch:
    """The environment `review-pr OWNER/REPO#N` reads, pointed at the module's `fake` GitHub
    and `model`, with no waits; the monkeypatch, to change it further."""
    for name in ("GROK_REVIEW_API_KEY", "GROK_REVIEW_GITHUB_TOKEN", "GROK_REVIEW_GITHUB_API_URL"):
        monkeypatch.delenv(name, raising=False)
    env = {
        "GITHUB_API_URL": fake.url,
        "GITHUB_TOKEN": "tok-write",
        "XAI_API_KEY": "test-key",
        "GROK_REVIEW_BASE_URL": model.url,
        "GROK_REVIEW_GITHUB_WRITE_SPACING_S": "0",
        "GROK_REVIEW_GITHUB_SECONDARY_WAIT_S": "0",
        "GROK_REVIEW_GITHUB_RETRY_BASE_S": "0",
        "GROK_REVIEW_RETRY_BASE_S": "0",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return monkeypatch
