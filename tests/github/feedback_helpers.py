"""Seeding the fake GitHub with people's reactions to the bot's earlier comments."""

from __future__ import annotations

from tests.fakes.github import FakeGitHub
from tests.fakes.github_feedback import react, set_role


def vote(
    fake: FakeGitHub, repo: str, comment_id: int, content: str, login: str, role: str | None
) -> None:
    """`login` (with `role`, or no access when None) reacts to a comment."""
    if role is not None:
        set_role(fake, repo, login, role)
    react(fake, repo, comment_id, content, login)
