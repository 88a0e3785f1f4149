"""The `fake_github` pytest fixture: a started FakeGitHub, stopped after the test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .github import FakeGitHub


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    with FakeGitHub() as fake:
        yield fake
