"""The review's short overview text: what was reviewed, what was found, what was not."""

from __future__ import annotations

from collections import Counter

from bot.models import SEVERITIES, Plan, Review


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def anchored_severity_counts(review: Review) -> str:
    """'1 critical, 2 major' over the findings placed on a diff line (inline and over the
    comment cap), worst first; unlike output.formats.severity_counts it omits zeros."""
    counts = Counter(f.severity for f in (*review.comments, *review.overflow))
    parts = [f"{counts[s]} {s}" for s in SEVERITIES if counts[s]]
    return ", ".join(parts) if parts else "none"


def build_summary(
    review: Review,
    *,
    plan: Plan,
    dropped: int = 0,
    already_posted: int = 0,
    muted: int = 0,
    context_note: str | None = None,
) -> str:
    """One short paragraph a person reads first. Pure.

    `context_note`: why the model saw no (or only part of the) repository beyond the diff.
    """
    lines = []
    reviewed = len(plan.kept)
    lines.append(
        f"Reviewed {reviewed:,} of {_plural(plan.files_total, 'file')} "
        f"({_plural(plan.changed_lines_in_chunks, 'changed line')}) "
        f"in {_plural(len(plan.chunks), 'request')}."
    )
    found = len(review.comments) + len(review.overflow)
    lines.append(
        f"Findings: {anchored_severity_counts(review)}." if found else "No problems found."
    )
    extras = []
    if review.overflow:
        extras.append(f"{len(review.overflow)} over the comment limit")
    if review.unanchored:
        extras.append(f"{len(review.unanchored)} not tied to a changed line")
    if already_posted:
        extras.append(f"{already_posted} already posted earlier")
    if dropped:
        extras.append(f"{dropped} below the severity/confidence threshold")
    if muted:
        extras.append(f"{_plural(muted, 'finding')} muted by earlier feedback")
    if extras:
        lines.append("Also: " + "; ".join(extras) + ".")
    cut = [s for s in plan.skipped if s.reason in ("budget", "beyond_github_file_limit")]
    if cut or plan.changed_lines_in_chunks < plan.changed_lines_total:
        missing = plan.changed_lines_total - plan.changed_lines_in_chunks
        lines.append(
            f"Partly reviewed: {_plural(len(cut), 'file')} ({_plural(missing, 'changed line')}) "
            "not reviewed because of a request/cost cap or GitHub's file limit (listed below)."
        )
    if review.errors:
        lines.append(
            f"Incomplete: {_plural(len(review.errors), 'part')} of the review failed (see errors)."
        )
    if context_note:
        lines.append(f"Context: {' '.join(context_note.split()).rstrip('.')}.")
    lines.extend(review.notes)  # what the run learned about the model server
    return " ".join(lines)
