"""Shared pytest fixtures."""

from fakes.github_fixture import fake_github

__all__ = ["fake_github"]
