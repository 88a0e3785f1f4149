"""Fixtures of the review tests: the fake model server under the name they use."""

from __future__ import annotations

import pytest

from tests.fakes.openai_server import FakeModel


@pytest.fixture
def fake(fake_model: FakeModel) -> FakeModel:
    """A started fake model server, nothing scripted."""
    return fake_model
