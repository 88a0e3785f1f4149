"""Fixtures of the fake GitHub tests: the fake holding their repository and PR."""

from __future__ import annotations

import pytest

from tests.fakes.github import FakeGitHub
from tests.github.fake_github.helpers import (
    BASE,
    FILES,
    HEAD,
    NUMBER,
    REPO,
)


@pytest.fixture
def fake(fake_github: FakeGitHub) -> FakeGitHub:
    fake_github.add_repo(REPO)
    fake_github.add_pr(REPO, NUMBER, title="Add thing", base_sha=BASE, head_sha=HEAD, files=FILES)
    return fake_github
