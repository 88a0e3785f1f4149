"""The `--dry-run` report of a plan: the JSON document and plain text."""

from __future__ import annotations

from typing import Any

from bot.models import Chunk, Plan, requests_lower_bound, worst_case_usd
from bot.pricing import FALLBACK_PRICE, OUTPUT_TOKENS_PER_REQUEST


def _chunk_json(chunk: Chunk) -> dict[str, Any]:
    return {
        "files": [f.path for f in chunk.files],
        "parts": list(chunk.parts),  # aligned with files: "part k/n" or ""
        "estimated_tokens": chunk.estimated_tokens,  # the whole request, context included
        "changed_lines": chunk.changed_lines,
        "context_tokens": chunk.context_tokens,
    }


def plan_to_json(plan: Plan) -> dict[str, Any]:
    """The `review-pr --dry-run --format json` document (and a few keys beyond the README's)."""
    return {
        "model": plan.model,
        "context_tokens": plan.context_tokens,
        "input_budget_tokens": plan.input_budget_tokens,
        "prefix_tokens": plan.prefix_tokens,
        "files": {
            "total": plan.files_total,
            "reviewed": len(plan.kept),
            "skipped": [{"path": s.path, "reason": s.reason} for s in plan.skipped],
        },
        "changed_lines": {
            "total": plan.changed_lines_total,
            "in_chunks": plan.changed_lines_in_chunks,
        },
        "chunks": [_chunk_json(c) for c in plan.chunks],
        "context": {
            "source": plan.context_source,
            "tokens": _context_tokens(plan),
            "items": _context_items(plan),
            "note": plan.context_note,
        },
        "requests_lower_bound": requests_lower_bound(plan),
        "estimated_cost_usd": round(plan.estimated_cost_usd, 6),
        "price_known": plan.price_known,
        # The upper estimate with every tool round used (max_cost_usd bounds it).
        "tools": {
            "max_rounds": plan.tool_rounds,
            "requests": _tool_requests(plan),
            "estimated_cost_usd": round(worst_case_usd(plan), 6),
            "note": plan.tools_note,
        },
    }


def counted(n: int, word: str) -> str:
    """'1 changed line', '3,185 changed lines'."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def price_assumed(model: str) -> str:
    """What an estimate for a model without a price rests on, said instead of implied."""
    p = FALLBACK_PRICE
    return (
        f"Price unknown: {model} is not in the price table, so the estimate (and a "
        f"max_cost_usd cap) assumes ${p.input:.2f} in / ${p.cached:.2f} cached / "
        f"${p.output:.2f} out per 1M tokens; GROK_REVIEW_PRICES sets its price"
    )


def render_plan_text(plan: Plan) -> str:
    """A plain-text report of the plan (no colour codes; the CLI may add them)."""
    total, covered = plan.changed_lines_total, plan.changed_lines_in_chunks
    if covered == total:
        lines_note = f"{counted(total, 'changed line')}, every one in a request"
    else:
        share = f"{100 * covered / total:.1f}%" if total else "100%"
        lines_note = (
            f"{counted(total, 'changed line')}, {covered:,} ({share}) in a request, "
            f"{total - covered:,} cut by a cap"
        )
    lines = [
        f"Plan for {plan.model}: context {plan.context_tokens:,} tokens, input budget "
        f"{plan.input_budget_tokens:,} per request, prompt prefix {plan.prefix_tokens:,}",
        f"Files: {plan.files_total:,} in the diff, {len(plan.kept):,} reviewed, "
        f"{len(plan.skipped):,} skipped",
        f"Changed lines: {lines_note}",
        f"Requests: {len(plan.chunks):,} (lower bound {requests_lower_bound(plan):,})",
        _context_line(plan),
        f"Estimated cost: ${plan.estimated_cost_usd:.4f} (upper estimate: no cache hits, "
        f"{OUTPUT_TOKENS_PER_REQUEST:,} output tokens per request)",
        _tools_line(plan),
    ]
    if not plan.price_known:
        lines.append(price_assumed(plan.model))
    for number, chunk in enumerate(plan.chunks, start=1):
        context = f" ({chunk.context_tokens:,} of them context)" if chunk.context_tokens else ""
        lines += [
            "",
            f"Chunk {number}: {chunk.estimated_tokens:,} tokens{context}, "
            f"{counted(chunk.changed_lines, 'changed line')}, {counted(len(chunk.files), 'file')}",
        ]
        lines += [
            f"  {f.path} ({part})" if part else f"  {f.path}"
            for f, part in zip(chunk.files, chunk.parts, strict=True)
        ]
    if plan.skipped:
        width = max(len(s.path) for s in plan.skipped)
        lines += ["", "Skipped:"]
        lines += [f"  {s.path:<{width}}  {s.reason}" for s in plan.skipped]
    return "\n".join(lines) + "\n"


def _context_tokens(plan: Plan) -> int:
    return sum(c.context_tokens for c in plan.chunks)


def _context_items(plan: Plan) -> int:
    return sum(len(c.context) for c in plan.chunks)


def _tool_requests(plan: Plan) -> int:
    """Requests with every tool round used: each chunk's, then one per round."""
    return len(plan.chunks) * (plan.tool_rounds + 1)


def _context_line(plan: Plan) -> str:
    tokens, items = _context_tokens(plan), _context_items(plan)
    why = f" ({plan.context_note})" if plan.context_note else ""
    if plan.context_source == "none" or not items:
        return f"Repository context: none{why}"
    return (
        f"Repository context: {tokens:,} tokens, {items:,} pieces from the {plan.context_source} "
        f"snapshot{why}"
    )


def _tools_line(plan: Plan) -> str:
    if not plan.tool_rounds:
        return f"Repository tools: {plan.tools_note or 'not offered'}"
    requests, cost = _tool_requests(plan), worst_case_usd(plan)
    return (
        f"Repository tools: up to {plan.tool_rounds} rounds of calls per request; with every "
        f"round used {requests:,} requests, ${cost:.4f} (upper estimate; max_cost_usd bounds it)"
    )
