"""Which part of a pull request too large for one request an /ask sees, and what it says."""

from __future__ import annotations

from bot.models import Chunk, FileDiff, Plan, SkippedFile
from bot.review.answer import fit_note, pick_chunk


def chunk(*paths: str, lines: int = 10) -> Chunk:
    files = tuple(FileDiff(path=p) for p in paths)
    return Chunk(files=files, estimated_tokens=100, changed_lines=lines, parts=("",) * len(files))


def test_the_part_naming_the_questions_files_goes_path_first_then_name_then_size() -> None:
    big, util_a, util_b = chunk("a/x.py", lines=90), chunk("a/util.py"), chunk("b/util.py")
    chunks = [big, util_a, util_b]
    assert pick_chunk(chunks, "Why does util.py cache?") is util_a  # by name; first of equals
    assert pick_chunk(chunks, "Why does B/Util.py cache?") is util_b  # by path, any case
    assert pick_chunk(chunks, "What changed?") is big  # nothing named: the most lines
    assert pick_chunk([], "What changed?") is None


def test_the_fit_note_counts_what_the_answer_does_not_see() -> None:
    seen = chunk("a.py", "b.py", lines=30)
    plan = Plan(
        model="m",
        context_tokens=10_000,
        input_budget_tokens=8_000,
        prefix_tokens=500,
        files_total=5,
        kept=("a.py", "b.py", "c.py"),
        skipped=(
            SkippedFile(path="d.py", reason="budget"),
            SkippedFile(path="e.lock", reason="generated"),
        ),
        chunks=(seen, chunk("c.py")),
        changed_lines_total=50,
        changed_lines_in_chunks=40,
        estimated_cost_usd=0.01,
    )
    note = fit_note(plan, seen)
    assert note is not None
    assert "based on 2 of its 4 changed files (30 of 50 changed lines)" in note
    whole = plan.model_copy(update={"changed_lines_total": 30})
    assert fit_note(whole, seen) is None and fit_note(plan, None) is None
