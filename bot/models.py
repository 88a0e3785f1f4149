"""Frozen data passed between pipeline stages: diffs, plans, findings, reviews."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

Side = Literal["RIGHT", "LEFT"]
Severity = Literal["critical", "major", "minor", "nit"]
LineKind = Literal["added", "removed", "context"]
FileStatus = Literal["added", "modified", "deleted", "renamed", "copied"]
ContextSource = Literal["git", "worktree", "github", "none"]
SkipReason = Literal[
    "binary",
    "lockfile",
    "generated",
    "vendored",
    "excluded",
    "deleted",
    "empty",
    "budget",
    "too_large_for_github",
    "beyond_github_file_limit",
]
Category = Literal[
    "bug",
    "security",
    "secret",
    "data-loss",
    "concurrency",
    "error-handling",
    "performance",
    "api-contract",
    "resource-leak",
    "maintainability",
    "testing",
    "documentation",
    "style",
]

# Most severe first; index = rank (lower is more severe).
SEVERITIES: tuple[Severity, ...] = ("critical", "major", "minor", "nit")


def severity_rank(severity: Severity) -> int:
    """0 for critical … 3 for nit, so sorting ascending puts the worst first."""
    return SEVERITIES.index(severity)


def at_least(severity: Severity, threshold: Severity) -> bool:
    """True when `severity` is as bad as `threshold` or worse."""
    return severity_rank(severity) <= severity_rank(threshold)


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- diffs -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DiffLine:
    """One line of a hunk. A slotted dataclass, not a model: a large diff has hundreds of
    thousands, and validating each would take most of the parse time. Models holding
    DiffLines still validate them (pydantic checks the instances and builds them from dicts).
    """

    kind: LineKind
    old_no: int | None  # None for added lines
    new_no: int | None  # None for removed lines
    text: str  # without the +/-/space prefix and without the line terminator


class Hunk(Frozen):
    old_start: int
    old_len: int
    new_start: int
    new_len: int
    section: str = ""  # text after the second @@ (function context)
    lines: tuple[DiffLine, ...] = ()

    @property
    def added(self) -> int:
        return sum(1 for ln in self.lines if ln.kind == "added")

    @property
    def removed(self) -> int:
        return sum(1 for ln in self.lines if ln.kind == "removed")


class FileDiff(Frozen):
    path: str  # new path; the old path for a deleted file
    old_path: str | None = None  # set for renames and copies
    status: FileStatus = "modified"
    binary: bool = False
    hunks: tuple[Hunk, ...] = ()
    old_mode: str | None = None
    new_mode: str | None = None
    submodule: bool = False
    patch_missing: bool = False  # GitHub omitted the patch (too large)
    # Set by bot.secrets when a name holds a secret: what the model is shown instead.
    shown_path: str | None = None
    shown_old_path: str | None = None

    @property
    def added(self) -> int:
        return sum(h.added for h in self.hunks)

    @property
    def removed(self) -> int:
        return sum(h.removed for h in self.hunks)

    @property
    def changed_lines(self) -> int:
        return self.added + self.removed


class LineMap(Frozen):
    """Where GitHub accepts review comments in one file: line number -> hunk index."""

    path: str
    right: dict[int, int]  # new-file line (added or context) -> hunk index
    left: dict[int, int]  # old-file line (removed or context) -> hunk index
    added: frozenset[int] = frozenset()  # new-file lines that were added


class PullRequest(Frozen):
    title: str = ""
    body: str = ""
    repo: str | None = None  # "owner/name"
    number: int | None = None
    base_sha: str | None = None
    head_sha: str | None = None
    base_ref: str | None = None
    head_ref: str | None = None
    author: str | None = None
    author_is_bot: bool = False
    draft: bool = False
    labels: tuple[str, ...] = ()
    files: tuple[FileDiff, ...] = ()
    github_file_limit_hit: bool = False  # GitHub listed only its first 3,000 files


# --- plans -----------------------------------------------------------------------------


class SkippedFile(Frozen):
    path: str
    reason: SkipReason


class ContextPiece(Frozen):
    """Lines of the repository shown beside a chunk to understand it; never commented on."""

    path: str
    start: int  # first line, 1-based
    end: int  # last line
    base: bool = False  # from the base version (code the PR removed), else the head
    reasons: tuple[str, ...]  # "definition of X", "caller of Y", "enclosing function f"
    text: str  # lines start..end joined by newlines, secrets redacted


class Chunk(Frozen):
    """One model request's share of the diff. Files may carry only some hunks."""

    files: tuple[FileDiff, ...]
    estimated_tokens: int  # whole request: prefix + context + chunk
    changed_lines: int
    # Aligned with `files`: "part k/n" for a piece of a file split across requests, else "".
    parts: tuple[str, ...]
    # Repository context sent before the diff, and its share of estimated_tokens.
    context: tuple[ContextPiece, ...] = ()
    context_tokens: int = 0


class Plan(Frozen):
    model: str
    context_tokens: int
    input_budget_tokens: int
    prefix_tokens: int
    files_total: int
    kept: tuple[str, ...]  # paths with at least one hunk in some chunk
    skipped: tuple[SkippedFile, ...]
    chunks: tuple[Chunk, ...]
    changed_lines_total: int
    changed_lines_in_chunks: int
    estimated_cost_usd: float
    # False: the model has no price (a local or unlisted model) and the estimate assumes
    # pricing.FALLBACK_PRICE; the report says so instead of passing it off as the model's.
    price_known: bool = True
    context_source: ContextSource = "none"  # where the chunks' context came from
    context_note: str | None = None  # why there is no (or less) context, for the summary
    # Repository tools: the rounds of calls each request may take (0: tools not offered,
    # `tools_note` says why), and the review's upper estimate with every round used.
    tool_rounds: int = 0
    estimated_cost_with_tools_usd: float = 0.0
    tools_note: str | None = None


def requests_lower_bound(plan: Plan) -> int:
    """The fewest requests any plan could use: ceil(sum of chunk estimates / input budget).
    Context is left out: it only fills room the diff leaves, so it never adds a request."""
    total = sum(c.estimated_tokens - c.context_tokens for c in plan.chunks)
    return -(-total // plan.input_budget_tokens) if plan.input_budget_tokens > 0 else 0


# --- findings and reviews --------------------------------------------------------------


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

    @property
    def total(self) -> int:
        return (
            self.below_threshold
            + self.already_posted
            + self.duplicates
            + self.muted
            + self.malformed
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


# --- model answers, as the pipeline passes them on ---------------------------------------


@dataclass(frozen=True)
class ProgressEvent:
    """Sent after each chunk finishes; counts are totals so far."""

    done: int
    total: int
    prompt_tokens: int
    completion_tokens: int
    failed: int


@dataclass(frozen=True)
class ContextOverflow:
    """What a server said when it refused a request as longer than its context."""

    n_ctx: int | None = None  # its context window in tokens, when the message states it
    prompt_tokens: int | None = None  # its count of the refused prompt, when stated


@dataclass(frozen=True)
class ChunkResult:
    index: int  # 0-based position in chunk_texts
    findings: tuple[Finding, ...]
    usage: Usage  # every request sent for this chunk, repairs and failures included
    served_model: str | None
    error: str | None = None  # set when the chunk failed; findings are then empty
    too_long: bool = False  # the server said the request exceeds the model's context
    overflow: ContextOverflow | None = None  # what it said about its context, with too_long
    mode: str | None = None  # the structured-output mode of the answer used
    dropped: int = 0  # findings dropped as malformed (no title or no body)
    # What the run learned about the server while asking about this chunk, said once.
    notes: tuple[str, ...] = ()
    overviews: tuple[Overview, ...] = ()  # one per answered request (slices add more)
    role: Literal["chunk", "overview"] = "chunk"  # "overview": the request merging the parts


@dataclass(frozen=True)
class TextReply:
    """A plain-text answer from the model (an /ask, a reply in a thread, an overview merge)."""

    text: str  # "" when it failed
    usage: Usage  # every request sent for it
    served_model: str | None = None
    error: str | None = None  # why there is no usable answer
    notes: tuple[str, ...] = ()
