"""Fixtures of the Action tests: the fake model finding one bug, the fake GitHub with the
example payloads' PR."""

from __future__ import annotations

import pytest

from tests.action.helpers import BUG, FILES, REPO, payload
from tests.fakes.github import FakeGitHub
from tests.fakes.openai_server import FakeModel


@pytest.fixture
def model(fake_model: FakeModel) -> FakeModel:
    fake_model.script(lambda request: [BUG])
    return fake_model


@pytest.fixture
def gh(fake_github: FakeGitHub) -> FakeGitHub:
    """The example payloads' PR (#2) at the payload's head SHA, with one changed file."""
    pr = payload("pull_request.opened")["pull_request"]
    fake_github.add_pr(REPO, 2, head_sha=pr["head"]["sha"], base_sha=pr["base"]["sha"], files=FILES)
    return fake_github
