"""The bot's earlier findings on the fake GitHub: a Finding, and its inline comment posted."""

from __future__ import annotations

from typing import Any

from bot.github.render import render_comment_body
from bot.models import Finding
from tests.fakes.github import FakeGitHub

OLD_PATCH = "@@ -1,2 +1,3 @@\n import os\n+for i in range(len(xs) - 1):\n print('done')"


def bot_finding(**kw: Any) -> Finding:
    base: dict[str, Any] = {
        "path": "src/app.py",
        "line": 2,
        "severity": "major",
        "category": "bug",
        "title": "Off-by-one",
        "body": "The loop skips the last element.",
        "confidence": 0.9,
        "code": "for i in range(len(xs) - 1):",
        "fingerprint": "f" * 16,
    }
    return Finding(**{**base, **kw})


def post_bot_comment(
    fake: FakeGitHub,
    repo: str,
    number: int,
    finding: Finding,
    *,
    head: str = "e" * 40,
    files: list[dict[str, Any]] | None = None,
    author: str | None = None,
) -> int:
    """A review by the bot (or by `author`) on PR `number` (added if new) with one inline
    comment: `finding` as the bot renders it. The comment's id."""
    known = repo in fake.state.repos and number in fake.state.repos[repo].pulls
    if not known:
        patch = files or [{"filename": finding.path, "status": "modified", "patch": OLD_PATCH}]
        fake.add_pr(repo, number, base_sha="9" * 40, head_sha=head, files=patch)
    body = render_comment_body(finding)
    comment = {"path": finding.path, "line": finding.line, "side": finding.side, "body": body}
    if finding.start_line is not None:
        comment["start_line"] = finding.start_line
    review = fake.add_review(repo, number, body="## grok-review", author=author, comments=[comment])
    (stored,) = (
        c for c in fake.review_comments(repo, number) if c["pull_request_review_id"] == review["id"]
    )
    return int(stored["id"])
