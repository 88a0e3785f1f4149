"""The `--dry-run` report of a plan: the JSON document and plain text."""

from __future__ import annotations

from typing import Any

from bot.models import Chunk, Plan, requests_lower_bound
from bot.pricing import OUTPUT_TOKENS_PER_REQUEST


def _chunk_json(chunk: Chunk) -> dict[str, Any]:
    return {
        "files": [f.path for f in chunk.files],
        "parts": list(chunk.parts),  # aligned with files: "part k/n" or ""
        "estimated_tokens": chunk.estimated_tokens,
        "changed_lines": chunk.changed_lines,
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
        "requests_lower_bound": requests_lower_bound(plan),
        "estimated_cost_usd": round(plan.estimated_cost_usd, 6),
    }


def _count(n: int, word: str) -> str:
    """'1 changed line', '3,185 changed lines'."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def render_plan_text(plan: Plan) -> str:
    """A plain-text report of the plan (no colour codes; the CLI may add them)."""
    total, covered = plan.changed_lines_total, plan.changed_lines_in_chunks
    if covered == total:
        lines_note = f"{_count(total, 'changed line')}, every one in a request"
    else:
        share = f"{100 * covered / total:.1f}%" if total else "100%"
        lines_note = (
            f"{_count(total, 'changed line')}, {covered:,} ({share}) in a request, "
            f"{total - covered:,} cut by a cap"
        )
    lines = [
        f"Plan for {plan.model}: context {plan.context_tokens:,} tokens, input budget "
        f"{plan.input_budget_tokens:,} per request, prompt prefix {plan.prefix_tokens:,}",
        f"Files: {plan.files_total:,} in the diff, {len(plan.kept):,} reviewed, "
        f"{len(plan.skipped):,} skipped",
        f"Changed lines: {lines_note}",
        f"Requests: {len(plan.chunks):,} (lower bound {requests_lower_bound(plan):,})",
        f"Estimated cost: ${plan.estimated_cost_usd:.4f} (upper estimate: no cache hits, "
        f"{OUTPUT_TOKENS_PER_REQUEST:,} output tokens per request)",
    ]
    for number, chunk in enumerate(plan.chunks, start=1):
        lines += [
            "",
            f"Chunk {number}: {chunk.estimated_tokens:,} tokens, "
            f"{_count(chunk.changed_lines, 'changed line')}, {_count(len(chunk.files), 'file')}",
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
