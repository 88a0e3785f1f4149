"""Fixtures of the adapter tests: the fake GitHub holding their PR."""

from __future__ import annotations

import pytest

from tests.fakes.github import FakeGitHub
from tests.github.api.helpers import (
    BASE,
    FILES,
    HEAD,
    NUMBER,
    REPO,
)


@pytest.fixture
def fake(fake_github: FakeGitHub) -> FakeGitHub:
    fake_github.add_pr(
        REPO,
        NUMBER,
        title="Add widgets",
        body="Adds the widget.",
        base_sha=BASE,
        head_sha=HEAD,
        head_ref="feature/widgets",
        labels=["enhancement"],
        author="dependabot[bot]",
        author_type="Bot",
        draft=True,
        files=FILES,
    )
    return fake_github
