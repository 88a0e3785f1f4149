"""Fixtures every test package may use; the App's own live in tests/app/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.review import pipeline
from tests.fakes.github_fixture import fake_github
from tests.fakes.openai_server import FakeModel

__all__ = ["fake_github", "fake_model", "prepared"]


@pytest.fixture
def fake_model() -> Iterator[FakeModel]:
    """A started fake model server with nothing scripted, stopped after the test."""
    with FakeModel() as server:
        yield server


@pytest.fixture
def prepared(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What each pipeline.prepare_review call was given: the snapshot's source, src/app.py at
    the head and at the base (read while the snapshot is open), and the context note."""
    calls: list[dict[str, Any]] = []
    real = pipeline.prepare_review

    def spy(*args: Any, **kwargs: Any) -> Any:
        snap = kwargs.get("snapshot")
        calls.append(
            {
                "source": snap.source if snap else None,
                "app": snap.read("src/app.py") if snap else None,
                "base": snap.read_base("src/app.py") if snap else None,
                "note": kwargs.get("context_note"),
            }
        )
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "prepare_review", spy)
    return calls
