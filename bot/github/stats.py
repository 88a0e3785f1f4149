"""`review-pr stats` and the App's feedback metrics: the figures for one repository.

Beyond reactions (bot.github.feedback), one figure costs requests: whether a one-click
suggestion was committed. Only comments GitHub shows as outdated can have been (committing
a suggestion changes the commented line); for each of their pull requests, newest first and
at most MAX_APPLIED_PULLS, one request for the PR's head and one compare per commit the
comments were posted on (at most MAX_COMPARES_PER_PULL).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from bot.github.feedback import read_feedback
from bot.review.feedback import BotComment, FeedbackStats, build_stats, contains_lines

if TYPE_CHECKING:
    from bot.github.api import GitHubClient

MAX_APPLIED_PULLS = 10
MAX_COMPARES_PER_PULL = 3


def collect_stats(
    client: GitHubClient, repo: str, *, days: int, now: datetime | None = None
) -> FeedbackStats:
    """How the bot's comments of the last `days` days were received in `repo`."""
    before = client.requests_sent
    feedback = read_feedback(client, repo, days=days, now=now, everything=True)
    applied, notes = find_applied(client, repo, feedback.comments)
    return build_stats(
        feedback.comments,
        repo=repo,
        days=days,
        applied=applied,
        notes=[*feedback.notes, *notes],
        github_requests=client.requests_sent - before,
    )


def find_applied(
    client: GitHubClient, repo: str, comments: Sequence[BotComment]
) -> tuple[set[int], list[str]]:
    """Ids of suggestion comments whose exact lines were added later in their PR, and notes
    on the limits reached."""
    pulls: dict[int, dict[str, list[BotComment]]] = {}
    for c in comments:  # newest first
        if c.suggestion and c.outdated and c.pull_number and c.original_commit_id:
            commits = pulls.setdefault(c.pull_number, {})
            commits.setdefault(c.original_commit_id, []).append(c)
    notes: list[str] = []
    if len(pulls) > MAX_APPLIED_PULLS:
        notes.append(f"applied suggestions checked in the newest {MAX_APPLIED_PULLS} PRs only")
    applied: set[int] = set()
    for number, commits in list(pulls.items())[:MAX_APPLIED_PULLS]:
        head = client.head_sha(repo, number)
        for commit, group in list(commits.items())[:MAX_COMPARES_PER_PULL]:
            comparison = client.compare(repo, commit, head)
            if comparison is None:
                continue  # GitHub no longer knows the commit (a force-push): cannot tell
            added = {
                f.path: [line.text for h in f.hunks for line in h.lines if line.kind == "added"]
                for f in comparison.files
            }
            for c in group:
                if contains_lines(added.get(c.path, ()), (c.suggestion or "").split("\n")):
                    applied.add(c.id)
    return applied, notes
