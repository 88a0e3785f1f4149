"""Read what maintainers said about the bot's earlier comments: few, bounded GitHub reads.

Cost (each a constant below): the repository's review comments, newest first, one request per
100 and at most MAX_COMMENT_PAGES; one request per comment whose reactors are looked up (only
comments GitHub counts a verdict on, newest first, at most MAX_REACTION_LOOKUPS); one per
person who reacted (cached for the run, at most MAX_PEOPLE). The rules are in
bot.review.feedback; applied suggestions (stats only) are in bot.github.stats.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.errors import GitHubError
from bot.github.markers import find_fingerprints
from bot.github.render import read_comment_body
from bot.models import MutedKind
from bot.review.feedback import BotComment, Votes, can_write, muted_kinds

if TYPE_CHECKING:
    from bot.config import FeedbackConfig
    from bot.github.api import GitHubClient
    from bot.github.data import Reaction

MAX_COMMENT_PAGES = 10  # the newest 1,000 review comments of the window
MAX_REACTION_LOOKUPS = 50  # comments whose reactors are looked up
MAX_PEOPLE = 50  # people whose permission is looked up
_PULL_NUMBER = re.compile(r"/pulls/(\d+)$")


@dataclass(frozen=True)
class RepoFeedback:
    """The bot's comments of the window, newest first, with writers' votes where read."""

    repo: str
    days: int
    comments: tuple[BotComment, ...]
    notes: tuple[str, ...] = ()  # limits that were reached

    @property
    def muted(self) -> tuple[MutedKind, ...]:
        return muted_kinds(self.comments)


@dataclass(frozen=True)
class ReviewFeedback:
    """What one review takes from earlier feedback, and what its dry run shows."""

    days: int
    muted: tuple[MutedKind, ...] = ()
    read: bool = False  # False: not read (disabled by config, or GitHub refused)
    note: str | None = None  # why it was not read, or a limit that was reached


def window_start(now: datetime, days: int) -> str:
    """The ISO 8601 instant `days` before `now` (UTC), as GitHub's `since` takes it."""
    return (now.astimezone(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_feedback(
    client: GitHubClient,
    repo: str,
    *,
    days: int,
    now: datetime | None = None,
    everything: bool = False,
) -> RepoFeedback:
    """The bot's comments of the last `days` days and writers' votes on them.

    A review only needs the votes that can mute (comments GitHub counts a 👎 or 😕 on);
    `everything` (the stats) also reads those with only 👍.
    """
    since = window_start(now or datetime.now(UTC), days)
    notes: list[str] = []
    comments = list(_bot_comments(client, repo, since=since, notes=notes))
    people = _People(client, repo)
    looked = 0
    out: list[BotComment] = []
    for c in comments:
        wanted = c.everyone.against > 0 or (everything and c.everyone.up > 0)
        if wanted and looked < MAX_REACTION_LOOKUPS:
            looked += 1
            c = replace(c, writers=people.votes(client.comment_reactions(repo, c.id)))
        elif wanted and looked == MAX_REACTION_LOOKUPS:
            looked += 1
            notes.append(
                f"reactions read on the newest {MAX_REACTION_LOOKUPS} comments that have any"
            )
        out.append(c)
    notes.extend(people.notes)
    return RepoFeedback(repo=repo, days=days, comments=tuple(out), notes=tuple(notes))


def feedback_for_review(
    client: GitHubClient, repo: str, config: FeedbackConfig, *, now: datetime | None = None
) -> ReviewFeedback:
    """The muted kinds for a review; a failure to read them never stops the review."""
    if not config.enabled:
        return ReviewFeedback(days=config.days, note="disabled by config (feedback.enabled)")
    try:
        feedback = read_feedback(client, repo, days=config.days, now=now)
    except GitHubError as exc:
        return ReviewFeedback(days=config.days, note=f"earlier feedback not read: {exc.message}")
    note = "; ".join(feedback.notes) or None
    return ReviewFeedback(days=config.days, muted=feedback.muted, read=True, note=note)


def _bot_comments(
    client: GitHubClient, repo: str, *, since: str, notes: list[str]
) -> Iterator[BotComment]:
    """Ours among the repository's review comments created since `since`, newest first."""
    seen = 0
    for item in client.review_comments_since(repo, since=since, max_pages=MAX_COMMENT_PAGES):
        seen += 1
        if str(item.get("created_at") or "") < since:
            return  # newest first: the rest are older (`since` filters by last update)
        comment = bot_comment(item) if client.is_ours(item) else None
        if comment is not None:
            yield comment
    if seen >= MAX_COMMENT_PAGES * 100:
        notes.append(f"only the newest {seen:,} review comments of the window were read")


def bot_comment(item: Mapping[str, Any]) -> BotComment | None:
    """One of our inline comments (GitHub's JSON) as the feedback rules see it; None for a
    comment of ours that is not a finding (no fingerprint marker)."""
    body = str(item.get("body") or "")
    fingerprints = find_fingerprints(body)
    if not fingerprints:
        return None
    posted = read_comment_body(body)
    rollup = item.get("reactions") or {}
    pull = _PULL_NUMBER.search(str(item.get("pull_request_url") or ""))
    review_id = item.get("pull_request_review_id")
    return BotComment(
        id=int(item["id"]),
        fingerprint=fingerprints[0],
        path=str(item.get("path") or ""),
        created_at=str(item.get("created_at") or ""),
        severity=posted.severity,
        category=posted.category,
        title=posted.title,
        pull_number=int(pull.group(1)) if pull else None,
        review_id=review_id if isinstance(review_id, int) else None,
        suggestion=posted.suggestion,
        # GitHub stops placing a comment (`line` null, `original_line` kept) once a later
        # push changed the line it was on: it shows as "Outdated".
        outdated=item.get("line") is None and item.get("original_line") is not None,
        original_commit_id=item.get("original_commit_id"),
        everyone=Votes(
            up=int(rollup.get("+1") or 0),
            down=int(rollup.get("-1") or 0),
            confused=int(rollup.get("confused") or 0),
        ),
    )


class _People:
    """Who may push to the repository: asked once per person per run, bots never count."""

    def __init__(self, client: GitHubClient, repo: str) -> None:
        self._client = client
        self._repo = repo
        self._writers: dict[str, bool] = {}
        self.notes: list[str] = []

    def votes(self, reactions: list[Reaction]) -> Votes:
        up = down = confused = 0
        for r in reactions:
            if r.is_bot or not r.login or not self._can_write(r.login):
                continue
            up += r.content == "+1"
            down += r.content == "-1"
            confused += r.content == "confused"
        return Votes(up=up, down=down, confused=confused)

    def _can_write(self, login: str) -> bool:
        if login not in self._writers:
            if len(self._writers) >= MAX_PEOPLE:
                if not self.notes:
                    self.notes.append(f"permissions looked up for {MAX_PEOPLE} people only")
                return False
            permission = self._client.repository_permission(self._repo, login)
            self._writers[login] = can_write(permission)
        return self._writers[login]
