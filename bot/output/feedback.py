"""The dry run's account of earlier feedback: which kinds of findings are muted (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.models import MutedKind

LOCAL_NOTE = "not read: a local review has no GitHub access (feedback lives on GitHub)"


def feedback_json(
    muted: Sequence[MutedKind], *, read: bool, days: int | None, note: str | None
) -> dict[str, Any]:
    """The `feedback` entry of `review-pr --dry-run --format json`."""
    return {
        "read": read,
        "days": days,
        "muted": [
            {"fingerprint": k.fingerprint, "path": k.path, "category": k.category, "title": k.title}
            for k in muted
        ],
        "note": note,
    }


def render_feedback_text(
    muted: Sequence[MutedKind], *, read: bool, days: int | None, note: str | None
) -> str:
    """Plain-text lines for the dry run: what will not be posted because of earlier feedback."""
    if not read:
        return f"Earlier feedback: {note or 'not read'}\n"
    window = f" (last {days} days)" if days else ""
    lines = [f"Earlier feedback{window}: {len(muted)} kind(s) of finding muted"]
    lines += [
        f"  {k.fingerprint}  {k.path} · {k.category or 'finding'}: {' '.join(k.title.split())}"
        for k in muted
    ]
    if note:
        lines.append(f"  ({note})")
    return "\n".join(lines) + "\n"
