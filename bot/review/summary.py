"""The review's short overview text: what was reviewed, what was found, what was not."""

from __future__ import annotations

from collections.abc import Collection

from bot.models import Plan, Review
from bot.output.plan import counted


def _coverage(plan: Plan, failed_chunks: Collection[int]) -> str:
    """What the model answered for: a file counts once every request carrying it answered."""
    if not failed_chunks:
        return (
            f"Reviewed {len(plan.kept):,} of {counted(plan.files_total, 'file')} "
            f"({counted(plan.changed_lines_in_chunks, 'changed line')})."
        )
    missed = {f.path for i, c in enumerate(plan.chunks) if i in failed_chunks for f in c.files}
    files = sum(1 for path in plan.kept if path not in missed)
    lines = sum(c.changed_lines for i, c in enumerate(plan.chunks) if i not in failed_chunks)
    return (
        f"Reviewed {files:,} of {counted(plan.files_total, 'file')} "
        f"({lines:,} of {counted(plan.changed_lines_in_chunks, 'changed line')})."
    )


def findings_tally(review: Review) -> str:
    """Every finding the model returned, counted once: where it is reported, or why not."""
    reported = [
        (len(review.comments), "inline"),
        (len(review.overflow), "over the comment limit"),
        (len(review.unanchored), "not tied to a changed line"),
    ]
    left = review.left_out
    left_out = [
        (left.below_threshold, "below the severity/confidence threshold"),
        (left.already_posted, "already posted"),
        (left.duplicates, "duplicate" if left.duplicates == 1 else "duplicates"),
        (left.muted, "muted by earlier feedback"),
        (left.malformed, "malformed (no title or no body)"),
        (left.outside_pr, "about a file this pull request does not change"),
    ]
    total = sum(n for n, _ in reported)
    if total:
        where = ", ".join(f"{n:,} {what}" for n, what in reported if n)
        text = f"{counted(total, 'finding')} reported: {where}."
    else:
        text = "No findings reported." if left.total else "No findings."
    if left.total:
        text += " Left out: " + ", ".join(f"{n:,} {why}" for n, why in left_out if n) + "."
    return text


def build_summary(
    review: Review,
    *,
    plan: Plan,
    failed_chunks: Collection[int] = (),
    context_note: str | None = None,
) -> str:
    """One short paragraph a person reads first. Pure.

    `failed_chunks`: indices of the plan's chunks the model gave no usable answer for; what
    they carried is not counted as reviewed. `context_note`: why the model saw no (or only
    part of the) repository beyond the diff.
    """
    lines = [_coverage(plan, failed_chunks), findings_tally(review)]
    cut = [s for s in plan.skipped if s.reason in ("budget", "beyond_github_file_limit")]
    if cut or plan.changed_lines_in_chunks < plan.changed_lines_total:
        missing = plan.changed_lines_total - plan.changed_lines_in_chunks
        lines.append(
            f"Partly reviewed: {counted(len(cut), 'file')} ({counted(missing, 'changed line')}) "
            "not reviewed because of a request/cost cap or GitHub's file limit (listed below)."
        )
    if failed_chunks or review.errors:
        failed = counted(len(failed_chunks) or len(review.errors), "request")
        lines.append(f"Incomplete: {failed} failed (see errors).")
    if context_note:
        lines.append(f"Context: {' '.join(context_note.split()).rstrip('.')}.")
    lines.extend(review.notes)  # what the run learned about the model server
    return " ".join(lines)
