"""What a review found and cost: findings, usage, the overview, the Review itself."""

from __future__ import annotations

from bot.models.core import Category, Frozen, Severity, Side, SkipReason
from bot.models.plan import SkippedFile


class Finding(Frozen):
    path: str
    line: int
    start_line: int | None = None
    side: Side = "RIGHT"
    severity: Severity
    category: Category
    title: str
    body: str
    suggestion: str | None = None
    confidence: float
    code: str = ""  # the line(s) of code the finding quotes; used to snap and fingerprint
    fingerprint: str = ""


class Usage(Frozen):
    requests: int = 0  # every request sent, answered or not
    failed_requests: int = 0  # of those, the ones that got an error or no answer (unbilled)
    prompt_tokens: int = 0
    cached_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: float = 0.0  # of the answered requests whose cost is known
    # Answered requests with neither a billed cost nor a price for the model: while any are
    # counted, the total cost is unknown and is shown as such, never as $0.
    unpriced_requests: int = 0
    # Our own estimate of those requests' prompts, to set beside the billed prompt_tokens.
    estimated_prompt_tokens: int = 0
    # Read-only repository tools the model called, and the rounds (requests answered with
    # calls) they took; those requests are counted above like any other.
    tool_calls: int = 0
    tool_rounds: int = 0

    @property
    def cost_known(self) -> bool:
        return self.unpriced_requests == 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            requests=self.requests + other.requests,
            failed_requests=self.failed_requests + other.failed_requests,
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            cached_tokens=self.cached_tokens + other.cached_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            reasoning_tokens=self.reasoning_tokens + other.reasoning_tokens,
            cost_usd=round(self.cost_usd + other.cost_usd, 10),
            unpriced_requests=self.unpriced_requests + other.unpriced_requests,
            estimated_prompt_tokens=self.estimated_prompt_tokens + other.estimated_prompt_tokens,
            tool_calls=self.tool_calls + other.tool_calls,
            tool_rounds=self.tool_rounds + other.tool_rounds,
        )


class OverviewFile(Frozen):
    path: str  # a path of the pull request, never one the model made up
    summary: str  # one line from the model; "" when it said nothing about the file
    skipped: SkipReason | None = None  # not reviewed, and why


class FocusSpot(Frozen):
    """Where a reviewer should look hardest: a file of the PR (and a new-file line), why."""

    path: str | None
    line: int | None
    note: str


class Overview(Frozen):
    """A walkthrough of the change: what it does, each file in a line, where to look hardest."""

    summary: str
    files: tuple[OverviewFile, ...] = ()
    focus: tuple[FocusSpot, ...] = ()
    push: bool = False  # describes the latest push only (an incremental review)


class LeftOut(Frozen):
    """Findings the model returned that the review does not report, by why.

    With the three lists of a Review (inline comments, over the comment limit, not tied to a
    changed line) every finding is counted exactly once.
    """

    below_threshold: int = 0  # severity/confidence under the config's bar, or a style nit
    already_posted: int = 0  # its fingerprint is on the PR already
    duplicates: int = 0  # the same problem reported again (e.g. by two requests)
    muted: int = 0  # like a comment maintainers voted down earlier (feedback)
    malformed: int = 0  # no title or no body: dropped as the reply was read
    # About a file the pull request does not change (e.g. code the model saw only as context,
    # which is never commented on, or a path it made up): not the change's to fix.
    outside_pr: int = 0

    @property
    def total(self) -> int:
        return (
            self.below_threshold
            + self.already_posted
            + self.duplicates
            + self.muted
            + self.malformed
            + self.outside_pr
        )


class Review(Frozen):
    summary: str
    model: str
    served_model: str | None = None
    comments: tuple[Finding, ...] = ()  # inline: on a changed line, within max_comments
    unanchored: tuple[Finding, ...] = ()  # not tied to a changed line
    overflow: tuple[Finding, ...] = ()  # on a changed line, over max_comments
    left_out: LeftOut = LeftOut()
    skipped_files: tuple[SkippedFile, ...] = ()
    usage: Usage = Usage()
    errors: tuple[str, ...] = ()
    head_sha: str | None = None
    reviewed_range: str | None = None  # "base..head" actually reviewed (incremental runs)
    # The rung of the structured-output ladder the answers came in (bot.model.ladder.Mode):
    # json_schema, json_object or text; None when the model was not asked.
    structured_output: str | None = None
    # What the run learned about the model server and did about it, one sentence each.
    notes: tuple[str, ...] = ()
    overview: Overview | None = None  # None: `overview: false`, or nothing was reviewed


class MutedKind(Frozen):
    """A kind of finding maintainers voted down on one of the bot's earlier comments.

    Findings with its fingerprint, or like it (bot.review.findings.is_like), are not posted
    again in the repository, and the prompt names the kind as unwanted.
    """

    fingerprint: str
    path: str
    category: Category | None  # None: the comment's headline could not be read back
    title: str
    created_at: str = ""  # when the voted-down comment was posted (ISO 8601)
