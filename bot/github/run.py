"""One GitHub review run (pure): the values its stages share and the decisions made from them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from bot.config import FailOn, RepoConfig
from bot.github.markers import reviewed_heads
from bot.github.triggers import Trigger as EventTrigger
from bot.models import FileDiff, Plan, PullRequest, Review, SkippedFile
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.github.api import GitHubClient
    from bot.github.data import BotItem, FetchedPull

Trigger = Literal["cli", EventTrigger]  # review-pr, or what a GitHub event asked for


@dataclass(frozen=True)
class GitHubOutcome:
    """What one run did. `exit_code` follows DESIGN.md (0, 1 fail_on, 2 setup, 3 upstream)."""

    review: Review | None = None
    posted: bool = False
    review_url: str | None = None
    skipped_reason: str | None = None  # "draft", "already reviewed", "superseded", …
    exit_code: int = 0
    notes: tuple[str, ...] = ()
    error: str | None = None  # why the run failed, one line
    plan: Plan | None = None  # set by dry runs
    head_sha: str | None = None
    fail_on: FailOn = "none"  # as the review applied it: the base config with overrides


class Stopped(Exception):
    """The run was cancelled between deciding to post and the POST itself."""


@dataclass(frozen=True)
class Run:
    """The settled facts of one run, passed between its stages."""

    settings: Settings
    client: GitHubClient
    fetched: FetchedPull
    config: RepoConfig
    trigger: Trigger
    run_key: str
    checks: bool
    reviews: tuple[BotItem, ...]
    notes: list[str] = field(default_factory=list)
    stop: Callable[[], bool] = field(default=lambda: False)  # asked again before every POST

    @property
    def pr(self) -> PullRequest:
        return self.fetched.pr

    @property
    def repo(self) -> str:
        return self.fetched.pr.repo or ""

    @property
    def number(self) -> int:
        return self.fetched.pr.number or 0

    @property
    def head(self) -> str:
        return self.fetched.pr.head_sha or ""


def skip_reason(
    pr: PullRequest, config: RepoConfig, *, trigger: Trigger, heads: Sequence[str]
) -> str | None:
    """Why an automatic run leaves this PR alone; people's commands are never skipped."""
    if trigger != "auto":
        return None
    if not config.enabled:
        return "disabled by config"
    if pr.draft and not config.review_drafts:
        return "draft"
    if pr.author_is_bot and not config.review_bot_prs:
        return "bot author"
    if set(pr.labels) & set(config.skip_labels):
        return "skip label"
    if pr.head_sha in heads:
        return "already reviewed"
    return None


def split_unreviewable(
    files: Sequence[FileDiff],
) -> tuple[tuple[FileDiff, ...], tuple[SkippedFile, ...]]:
    """Set aside what GitHub sent no patch for, with the reason (deletions go to the filter)."""
    kept: list[FileDiff] = []
    skipped: list[SkippedFile] = []
    for f in files:
        if f.status != "deleted" and (f.patch_missing or (f.binary and not f.hunks)):
            reason = "too_large_for_github" if f.patch_missing else "binary"
            skipped.append(SkippedFile(path=f.path, reason=reason))
        else:
            kept.append(f)
    return tuple(kept), tuple(skipped)


def all_heads(reviews: Sequence[BotItem]) -> list[str]:
    """Every head SHA our earlier reviews name, oldest first."""
    return [sha for r in reviews for sha in reviewed_heads(r.body)]


def short_range(base: str | None, head: str) -> str:
    """'abc1234..def5678', the reviewed range a review body names."""
    return f"{(base or '')[:7]}..{head[:7]}"
