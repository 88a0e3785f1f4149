"""A review plan: the chunks each request carries, their context, what was skipped."""

from __future__ import annotations

from bot.models.core import ContextSource, Frozen, SkipReason
from bot.models.diff import FileDiff


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


def worst_case_usd(plan: Plan) -> float:
    """The most `plan` can cost: its upper estimate, with every tool round when it has any."""
    if plan.tool_rounds:
        return max(plan.estimated_cost_usd, plan.estimated_cost_with_tools_usd)
    return plan.estimated_cost_usd
