"""The PR the fake GitHub tests use (o/r#7), a PyGithub client for it, and posting a review."""

from __future__ import annotations

from github import Auth, Github

from tests.fakes.github import FakeGitHub

REPO, NUMBER = "o/r", 7
BASE, HEAD = "b" * 40, "c" * 40
# Hunk 1: RIGHT 1-4 (2 added), LEFT 1-3. Hunk 2: RIGHT 21-23, LEFT 20-23 (21 removed).
PATCH = (
    "@@ -1,3 +1,4 @@\n line1\n+added2\n line2\n line3\n"
    "@@ -20,4 +21,3 @@\n ctx20\n-removed21\n ctx22\n ctx23"
)
FILES = [
    {
        "filename": "src/app.py",
        "status": "modified",
        "additions": 1,
        "deletions": 1,
        "changes": 2,
        "patch": PATCH,
    },
    {"filename": "logo.png", "status": "added", "additions": 0, "deletions": 0, "changes": 0},
]


def client(fake: FakeGitHub, token: str | None = "tok-write") -> Github:
    auth = Auth.Token(token) if token else None
    return Github(
        base_url=fake.url,
        auth=auth,
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )


def post_review(
    fake: FakeGitHub, comments: list[dict], *, event: str | None = "COMMENT", body: str = "Review"
):
    repo = client(fake).get_repo(REPO)
    kwargs = {"event": event} if event else {}
    return repo.get_pull(NUMBER).create_review(
        commit=repo.get_commit(HEAD), body=body, comments=comments, **kwargs
    )
