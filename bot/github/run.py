"""One GitHub review run (pure): the values its stages share and the decisions made from them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from bot.config import FailOn, RepoConfig
from bot.errors import ExitCode
from bot.github.markers import reviewed_heads
from bot.github.triggers import Trigger as EventTrigger
from bot.models import FileDiff, Plan, PullRequest, Review, SkippedFile
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.github.api import GitHubClient
    from bot.github.data import BotItem, FetchedPull
    from bot.github.feedback import ReviewFeedback
    from bot.review.tools import BudgetGrant

Trigger = Literal["cli", EventTrigger]  # review-pr, or what a GitHub event asked for
# Why a run reviewed nothing (or posted nothing); shown to people as it is.
RunSkip = Literal[
    "disabled by config",
    "draft",
    "bot author",
    "skip label",
    "already reviewed",
    "superseded",
    "closed",
    "invalid config",
    "nothing new to review",
]


@dataclass(frozen=True)
class GitHubOutcome:
    """What one run did, and the exit code it ends with."""

    review: Review | None = None
    posted: bool = False
    review_url: str | None = None
    skipped_reason: RunSkip | None = None
    exit_code: ExitCode = ExitCode.REVIEWED
    notes: tuple[str, ...] = ()
    error: str | None = None  # why the run failed, one line
    plan: Plan | None = None  # set by dry runs
    head_sha: str | None = None
    fail_on: FailOn = "none"  # as the review applied it: the base config with overrides
    feedback: ReviewFeedback | None = None  # set by dry runs: the kinds muted by feedback


OutcomeStatus = Literal["posted", "skipped", "superseded", "failed"]


def outcome_status(outcome: GitHubOutcome) -> OutcomeStatus:
    """The one-word result of a run (the App records it per job)."""
    if outcome.error:
        return "failed"
    if outcome.posted:
        return "posted"
    return "superseded" if outcome.skipped_reason == "superseded" else "skipped"


@dataclass(frozen=True)
class OutcomeLine:
    """One thing to tell a person about a run; each entry point adds its own prefix."""

    kind: Literal["note", "skipped", "posted", "error"]
    text: str


def outcome_lines(outcome: GitHubOutcome) -> list[OutcomeLine]:
    """What a run tells a person, in order: the wording review-pr and the Action share."""
    lines = [OutcomeLine("note", n) for n in outcome.notes]
    if outcome.skipped_reason and not outcome.error and not outcome.notes:
        lines.append(OutcomeLine("skipped", f"not reviewed: {outcome.skipped_reason}"))
    if outcome.posted:
        lines.append(OutcomeLine("posted", f"posted {outcome.review_url or 'the review'}"))
    if outcome.error:
        lines.append(OutcomeLine("error", outcome.error))
    return lines


@dataclass
class CheckRunState:
    """The `grok-review` check run this run started (bot.github.progress), if any."""

    id: int | None = None
    completed: bool = False
    refused: bool = False  # the token may not write checks: not asked again this run

    @property
    def open(self) -> bool:
        return self.id is not None and not self.completed


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
    check: CheckRunState = field(default_factory=CheckRunState)
    budget: BudgetGrant | None = None  # the App's daily budget: what the run may spend

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
    pr: PullRequest,
    config: RepoConfig,
    *,
    trigger: Trigger,
    heads: Sequence[str],
    post: bool = False,
    force: bool = False,
) -> RunSkip | None:
    """Why a run leaves this PR alone, decided before anything is paid for.

    Automatic runs follow every rule. `review-pr` honours `enabled: false` and, when it would
    post, does not pay again for a head the bot already reviewed, unless forced. People's
    `/review` commands are never skipped.
    """
    if trigger == "cli":
        if force:
            return None
        if not config.enabled:
            return "disabled by config"
        return "already reviewed" if post and pr.head_sha in heads else None
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
