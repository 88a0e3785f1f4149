"""Settings that point the real clients at the fake servers (tests/fakes), waiting for nothing.

A test adds what it is about as keyword arguments; a field given there replaces the one here.
"""

from __future__ import annotations

from typing import Any

from bot.settings import Settings
from tests.fakes.github import FakeGitHub
from tests.fakes.openai_server import FakeModel


def github_values(fake: FakeGitHub) -> dict[str, Any]:
    """The fake GitHub with a token it lets write; no spacing between writes, no waits."""
    return {
        "github_token": "tok-write",
        "github_api_url": fake.url,
        "github_write_spacing_s": 0,
        "github_secondary_wait_s": 0,
        "github_retry_base_s": 0,
    }


def review_values(github: FakeGitHub, model: FakeModel) -> dict[str, Any]:
    """github_values, and the fake model with a key and no backoff between tries."""
    return {
        **github_values(github),
        "api_key": "test-key",
        "base_url": model.url,
        "retry_base_s": 0,
    }


def settings_for(github: FakeGitHub, model: FakeModel, **kw: Any) -> Settings:
    """Settings for a review against both fakes."""
    return Settings(**{**review_values(github, model), **kw})
