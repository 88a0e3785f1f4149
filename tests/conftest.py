"""Fixtures every test package may use; the App's own live in tests/app/conftest.py."""

from tests.fakes.github_fixture import fake_github

__all__ = ["fake_github"]
