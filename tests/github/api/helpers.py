"""The PR the adapter tests read (octo/widgets#7) and clients for it with recorded waits."""

from __future__ import annotations

from bot.github.api import GitHubClient
from bot.github.auth import connect_token
from bot.github.transport import GitHubTransport
from bot.settings import Settings
from tests.fakes.github import FakeGitHub
from tests.helpers.settings import github_values

REPO, NUMBER = "octo/widgets", 7
BASE, HEAD = "b" * 40, "c" * 40
PATCH = "@@ -1,2 +1,3 @@\n import os\n+x = 1\n print('done')"
FILES = [
    {"filename": "src/app.py", "status": "modified", "patch": PATCH},
    {"filename": "logo.png", "status": "added", "additions": 0, "deletions": 0, "changes": 0},
    {"filename": "data/big.sql", "status": "modified", "additions": 90000, "changes": 90000},
    {
        "filename": "src/new_name.py",
        "previous_filename": "src/old_name.py",
        "status": "renamed",
        "patch": "@@ -3 +3 @@\n-a\n+b",
    },
]
BOT_BODY = "Summary\n\n<!-- grok-review:head=" + HEAD + " -->"


def make_settings(fake: FakeGitHub, **overrides: object) -> Settings:
    return Settings(**{**github_values(fake), "github_retries": 2, **overrides})


class Waits:
    """Records sleeps instead of sleeping; a clock that only moves when asked."""

    def __init__(self) -> None:
        self.slept: list[float] = []
        self.now = 100.0

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def make_client(fake: FakeGitHub, token: str = "tok-write", **kw: object) -> GitHubClient:
    settings = make_settings(fake, **kw)
    client = GitHubClient.from_token(settings, token=token)
    return client


def waiting_client(fake: FakeGitHub, waits: Waits, **kw: object) -> GitHubClient:
    """A client (token tok-write) whose retries and write spacing wait on `waits`."""
    settings = make_settings(fake, **kw)
    gh, credential = connect_token(settings, token="tok-write")
    http = GitHubTransport(
        gh, settings, credential=credential, sleep=waits.sleep, clock=waits.clock
    )
    return GitHubClient(http)
