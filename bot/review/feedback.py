"""What maintainers said about the bot's earlier comments: the mute rule and the figures (pure).

The GitHub adapter (bot.github.feedback) reads the comments and who reacted; everything
decided from them is here, as functions of plain data.

Rules:
- Only people with write access to the repository count (admin, maintain, write): their
  reactions are the ones that say what the project wants.
- A comment is muted when those people reacted 👎 or 😕 more often than 👍.
- A muted comment's kind (fingerprint; path, category and title) is not posted again in the
  repository (bot.review.findings.is_like) and is named in the prompt as unwanted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import Field

from bot.models import SEVERITIES, Category, Frozen, MutedKind, Severity
from bot.review.findings import normalize_title

UNWANTED_IN_PROMPT = 20  # the most recent muted kinds the prompt names
WRITE_PERMISSIONS = frozenset({"admin", "maintain", "write"})


def can_write(permission: str | None) -> bool:
    """A repository permission ("admin", "write", ...) that lets its holder push."""
    return permission in WRITE_PERMISSIONS


@dataclass(frozen=True)
class Votes:
    """Reactions that carry a verdict: 👍, 👎 and 😕 (the others say nothing we can use)."""

    up: int = 0
    down: int = 0
    confused: int = 0

    @property
    def against(self) -> int:
        return self.down + self.confused


@dataclass(frozen=True)
class BotComment:
    """One inline comment the bot posted, as the feedback rules need it."""

    id: int
    fingerprint: str
    path: str
    created_at: str  # ISO 8601, as GitHub sends it
    severity: Severity | None = None  # None: the headline could not be read back
    category: Category | None = None
    title: str = ""
    pull_number: int | None = None
    review_id: int | None = None
    suggestion: str | None = None  # the lines of its one-click suggestion, if it offered one
    outdated: bool = False  # GitHub no longer places it: a later push changed its line
    original_commit_id: str | None = None
    everyone: Votes = Votes()  # GitHub's reaction counts: anyone's
    writers: Votes | None = None  # people with write access; None = not looked up


def is_muted(comment: BotComment) -> bool:
    """Writers reacted 👎/😕 more often than 👍."""
    return comment.writers is not None and comment.writers.against > comment.writers.up


def muted_kinds(comments: Iterable[BotComment]) -> tuple[MutedKind, ...]:
    """The kinds of the muted comments, newest first, one per fingerprint."""
    kinds: dict[str, MutedKind] = {}
    for c in sorted(comments, key=lambda c: (c.created_at, c.id), reverse=True):
        if is_muted(c) and c.fingerprint not in kinds:
            kinds[c.fingerprint] = MutedKind(
                fingerprint=c.fingerprint,
                path=c.path,
                category=c.category,
                title=c.title,
                created_at=c.created_at,
            )
    return tuple(kinds.values())


def for_prompt(
    kinds: Sequence[MutedKind], *, limit: int = UNWANTED_IN_PROMPT
) -> tuple[MutedKind, ...]:
    """The newest `limit` kinds, one per (path, category, normalised title): what the prompt
    names. Same input, same output: the prompt prefix stays byte-identical across chunks."""
    seen: set[tuple[str, str, str]] = set()
    out: list[MutedKind] = []
    for kind in sorted(kinds, key=lambda k: (k.created_at, k.fingerprint), reverse=True):
        key = (kind.path, kind.category or "", normalize_title(kind.title))
        if key not in seen and len(out) < limit:
            seen.add(key)
            out.append(kind)
    return tuple(out)


def contains_lines(added: Sequence[str], wanted: Sequence[str]) -> bool:
    """`wanted` (a suggestion's lines) appear in `added`, consecutively and in order;
    trailing whitespace is ignored. An empty suggestion (a deletion) cannot be told apart."""
    want = [w.rstrip() for w in wanted]
    have = [a.rstrip() for a in added]
    if not any(want):
        return False
    return any(have[i : i + len(want)] == want for i in range(len(have) - len(want) + 1))


# --- the figures of `review-pr stats` and the App's metrics --------------------------------


class Bucket(Frozen):
    """Counts for one category or severity."""

    comments: int = 0
    thumbs_up: int = 0
    thumbs_down: int = 0
    confused: int = 0
    addressed: int = 0


class FeedbackStats(Frozen):
    """How the bot's comments in one repository were received (writers' reactions only)."""

    repo: str
    days: int
    reviews: int = 0  # reviews that left at least one inline comment
    comments: int = 0
    thumbs_up: int = 0
    thumbs_down: int = 0
    by_category: dict[str, Bucket] = Field(default_factory=dict)
    by_severity: dict[str, Bucket] = Field(default_factory=dict)
    muted: list[str] = Field(default_factory=list)  # fingerprints, newest first
    confused: int = 0
    pull_requests: int = 0
    addressed: int = 0  # outdated: a later push changed the commented line
    suggestions: int = 0  # comments offering a one-click suggestion
    suggestions_applied: int | None = None  # None: not checked
    reactions_unread: int = 0  # comments with reactions whose reactors were not looked up
    github_requests: int = 0
    notes: list[str] = Field(default_factory=list)  # limits that were reached


def build_stats(
    comments: Sequence[BotComment],
    *,
    repo: str,
    days: int,
    applied: Iterable[int] | None = None,
    notes: Sequence[str] = (),
    github_requests: int = 0,
) -> FeedbackStats:
    """The figures for `comments` (the bot's, in the window); `applied`: ids of comments
    whose suggestion was committed (None when that was not checked)."""
    by_category: dict[str, Bucket] = {}
    by_severity: dict[str, Bucket] = {}
    total = Bucket()
    for c in comments:
        total = _add(total, c)
        category = c.category or "unknown"
        by_category[category] = _add(by_category.get(category, Bucket()), c)
        severity = c.severity or "unknown"
        by_severity[severity] = _add(by_severity.get(severity, Bucket()), c)
    rank: dict[str, int] = {s: i for i, s in enumerate(SEVERITIES)}
    applied_ids = set(applied) if applied is not None else None
    suggesting = [c for c in comments if c.suggestion]
    return FeedbackStats(
        repo=repo,
        days=days,
        reviews=len({c.review_id for c in comments if c.review_id is not None}),
        comments=total.comments,
        thumbs_up=total.thumbs_up,
        thumbs_down=total.thumbs_down,
        confused=total.confused,
        by_category=dict(sorted(by_category.items())),
        by_severity=dict(sorted(by_severity.items(), key=lambda kv: rank.get(kv[0], 99))),
        muted=[k.fingerprint for k in muted_kinds(comments)],
        pull_requests=len({c.pull_number for c in comments if c.pull_number is not None}),
        addressed=total.addressed,
        suggestions=len(suggesting),
        suggestions_applied=(
            None if applied_ids is None else sum(1 for c in suggesting if c.id in applied_ids)
        ),
        reactions_unread=sum(1 for c in comments if c.writers is None and _has_votes(c)),
        github_requests=github_requests,
        notes=list(notes),
    )


def _has_votes(c: BotComment) -> bool:
    return bool(c.everyone.up or c.everyone.against)


def _add(bucket: Bucket, c: BotComment) -> Bucket:
    votes = c.writers or Votes()
    return Bucket(
        comments=bucket.comments + 1,
        thumbs_up=bucket.thumbs_up + votes.up,
        thumbs_down=bucket.thumbs_down + votes.down,
        confused=bucket.confused + votes.confused,
        addressed=bucket.addressed + int(c.outdated),
    )
