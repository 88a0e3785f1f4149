"""Shared pytest fixtures."""

from conftest_app import make, redis_url
from fakes.github_fixture import fake_github

__all__ = ["fake_github", "make", "redis_url"]
