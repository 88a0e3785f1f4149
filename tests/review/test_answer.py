"""Which part of a pull request too large for one request an /ask sees, and what it says."""

from __future__ import annotations

from bot.models import Chunk, FileDiff, Plan, PullRequest, SkippedFile
from bot.review.answer import excerpt, fit_note, pick_chunk
from bot.review.pipeline import source_skipped


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


def test_the_fit_note_says_when_github_listed_only_part_of_the_files() -> None:
    seen = chunk("a.py", lines=30)
    unlisted = SkippedFile(path="(files past the first 3,000)", reason="beyond_github_file_limit")
    plan = Plan(
        model="m",
        context_tokens=10_000,
        input_budget_tokens=8_000,
        prefix_tokens=500,
        files_total=2,
        kept=("a.py",),
        skipped=(unlisted,),
        chunks=(seen,),
        changed_lines_total=30,
        changed_lines_in_chunks=30,
        estimated_cost_usd=0.01,
    )
    note = fit_note(plan, seen)
    assert note == (
        "GitHub lists only the first 3,000 changed files of this pull request, so the answer "
        "is based on those"
    )
    bigger = plan.model_copy(update={"changed_lines_total": 50, "chunks": (seen, chunk("b.py"))})
    note = fit_note(bigger, seen)
    assert note is not None and "(30 of 50 changed lines), and GitHub lists only" in note


def test_what_the_source_set_aside_is_the_same_for_reviews_and_answers() -> None:
    gone = SkippedFile(path="big.bin", reason="too_large_for_github")
    assert source_skipped(PullRequest(), [gone]) == (gone,)
    cut = source_skipped(PullRequest(github_file_limit_hit=True), [gone])
    assert [s.reason for s in cut] == ["too_large_for_github", "beyond_github_file_limit"]


def test_the_excerpt_numbers_lines_as_git_does() -> None:
    text = "one\n\x0ctwo\nthree\nfour\n"
    assert excerpt(text, 3, around=1) == "2 | \x0ctwo\n3 | three\n4 | four"
    assert excerpt(text, 5) is None and excerpt(text, None) is None
