"""Model-facing rendering and chunk packing: coverage, budget, few requests, splitting."""

from __future__ import annotations

import math
import posixpath
import random

import pytest

from bot.diff.parse import parse_diff
from bot.diff.render import RENDER_FORMAT_HELP, render_chunk, render_file
from bot.models import Chunk, FileDiff
from bot.plan.chunking import CHUNK_OVERHEAD_TOKENS, coverage_problems, plan_chunks
from bot.tokens import estimate_tokens
from tests.plan.helpers import (
    check_chunks,
    in_part_order,
    lower_bound,
    make_added,
    make_modified,
    make_pr,
    piece_entries,
)

# --- rendering ---------------------------------------------------------------------------

RENAME = """\
diff --git a/src/old.py b/src/app.py
similarity index 80%
rename from src/old.py
rename to src/app.py
--- a/src/old.py
+++ b/src/app.py
@@ -8,3 +8,4 @@ def handler():
 a = 1
-b = 2
+c = 3
+d = 4
 e = 5
"""


def test_render_file_shows_both_numbers_marker_and_header() -> None:
    (file,) = parse_diff(RENAME)
    assert render_file(file) == (
        "### File: src/app.py (renamed from src/old.py)\n"
        "@@ -8,3 +8,4 @@ def handler():\n"
        " 8  8 | a = 1\n"
        " 9    |-b = 2\n"
        "    9 |+c = 3\n"
        "   10 |+d = 4\n"
        "10 11 | e = 5\n"
    )


def test_render_file_subset_of_hunks_with_part_and_mode() -> None:
    rnd = random.Random(1)
    modes = {"old_mode": "100644", "new_mode": "100755"}
    file = make_modified(rnd, "bin/run", [[(1, 1)], [(0, 2)], [(3, 0)]], **modes)
    piece = file.model_copy(update={"hunks": file.hunks[1:2]})
    text = render_file(piece, part="part 2/3")
    assert text.splitlines()[0] == "### File: bin/run (modified, mode 100644 -> 100755, part 2/3)"
    assert text.count("@@ -") == 1 and f"@@ -{file.hunks[1].old_start}," in text
    assert render_file(piece, part="part 2/3") == text  # same bytes again
    assert len(text.splitlines()) == 2 + len(file.hunks[1].lines)  # that hunk's lines only


def test_render_added_file_leaves_old_column_blank() -> None:
    text = render_file(make_added("new.py", ["x = 1", "y = 2"]))
    assert text.splitlines()[1:] == ["@@ -0,0 +1,2 @@", "  1 |+x = 1", "  2 |+y = 2"]


def test_format_help_is_short_and_names_the_columns() -> None:
    assert 3 <= len(RENDER_FORMAT_HELP.splitlines()) <= 4
    assert "OLD NEW |" in RENDER_FORMAT_HELP and "`+`" in RENDER_FORMAT_HELP


# --- packing -----------------------------------------------------------------------------


@pytest.mark.parametrize(("budget", "prefix"), [(6_000, 1_500), (40_000, 3_000), (233_200, 3_000)])
def test_realistic_pr_properties(budget: int, prefix: int) -> None:
    files = make_pr(seed=1, files=600)
    chunks = plan_chunks(files, budget_tokens=budget, prefix_tokens=prefix)
    check_chunks(files, chunks, budget=budget, prefix=prefix)
    assert len(chunks) <= math.ceil(1.1 * lower_bound(chunks, budget=budget, prefix=prefix))  # (c)


def test_split_file_pieces_carry_only_their_hunks_and_parts() -> None:
    rnd = random.Random(3)
    big = make_modified(rnd, "src/many.py", [[(10, 30)]] * 30)
    chunks = plan_chunks([big], budget_tokens=6_000, prefix_tokens=1_000)
    check_chunks([big], chunks, budget=6_000, prefix=1_000)
    entries = piece_entries(chunks)
    total = len(entries)
    assert total > 1
    assert sorted(p for _, p in entries) == sorted(f"part {k}/{total}" for k in range(1, total + 1))
    rejoined = [h for f in in_part_order(chunks) for h in f.hunks]
    assert tuple(rejoined) == big.hunks  # cut at hunk boundaries, nothing reordered
    assert all(f"(modified, {p})" in render_file(f, part=p) for f, p in entries)


def test_giant_hunk_becomes_line_windows_with_correct_numbers() -> None:
    rnd = random.Random(4)
    big = make_modified(rnd, "src/engine.py", [[(300, 2000), (50, 50)]])
    chunks = plan_chunks([big], budget_tokens=8_000, prefix_tokens=1_000)
    check_chunks([big], chunks, budget=8_000, prefix=1_000)
    windows = [h for f, _ in piece_entries(chunks) for h in f.hunks]
    assert len(windows) > 5
    lines = [ln for f in in_part_order(chunks) for h in f.hunks for ln in h.lines]
    assert tuple(lines) == big.hunks[0].lines  # every line, context too, exactly once, in order


def test_added_file_windows_keep_git_empty_range_convention() -> None:
    file = make_added("gen/big.py", [f"value_{i} = {i}" * 3 for i in range(5_000)])
    chunks = plan_chunks([file], budget_tokens=5_000, prefix_tokens=500)
    check_chunks([file], chunks, budget=5_000, prefix=500)
    for piece, _ in piece_entries(chunks):
        for hunk in piece.hunks:
            assert (hunk.old_start, hunk.old_len) == (0, 0)


@pytest.mark.parametrize("char", ["x", "é", "中"])
def test_line_longer_than_budget_is_truncated_with_note(char: str) -> None:
    text = "var a=" + char * 1_000_000
    file = make_added("web/app.min.js", ["// head", text, "// tail"])
    chunks = plan_chunks([file], budget_tokens=20_000, prefix_tokens=2_000)
    check_chunks([file], chunks, budget=20_000, prefix=2_000)
    (cut,) = [
        ln for f, _ in piece_entries(chunks) for h in f.hunks for ln in h.lines if ln.new_no == 2
    ]
    kept = cut.text.split(" [line truncated: ")[0]
    assert text.startswith(kept) and len(kept) > 1_000
    assert cut.text.endswith(f" [line truncated: {len(text) - len(kept)} more characters]")


def piece_tokens(file: FileDiff) -> int:
    """What one whole file takes in a chunk (its block and the empty line after it)."""
    return estimate_tokens(render_file(file) + "\n")


def test_directories_stay_together_when_that_costs_no_request() -> None:
    # Twelve equal directories, a request holding three and a quarter: by directory or by
    # file, four requests. So no directory is split.
    files = [
        make_added(f"pkg{d}/mod{f}.py", ["x = y + 1"] * 40) for d in range(12) for f in range(6)
    ]
    per_dir = 6 * piece_tokens(files[0])
    budget = 1_000 + CHUNK_OVERHEAD_TOKENS + 3 * per_dir + per_dir // 4
    chunks = plan_chunks(files, budget_tokens=budget, prefix_tokens=1_000)
    check_chunks(files, chunks, budget=budget, prefix=1_000)
    homes: dict[str, set[int]] = {}
    for i, chunk in enumerate(chunks):
        for f in chunk.files:
            homes.setdefault(posixpath.dirname(f.path), set()).add(i)
    assert len(chunks) == 4 and all(len(h) == 1 for h in homes.values())


def test_directories_are_broken_up_when_keeping_them_costs_requests() -> None:
    # Ten directories of just over half a chunk each: kept whole they need ten requests.
    capacity = 10_000 - 1_000 - CHUNK_OVERHEAD_TOKENS
    lines = next(
        n
        for n in range(1, 500)
        if 6 * piece_tokens(make_added("f.py", ["x = 1"] * n)) > capacity // 2
    )
    files = [make_added(f"d{d}/f{f}.py", ["x = 1"] * lines) for d in range(10) for f in range(6)]
    chunks = plan_chunks(files, budget_tokens=10_000, prefix_tokens=1_000)
    check_chunks(files, chunks, budget=10_000, prefix=1_000)
    assert len(chunks) <= math.ceil(1.1 * lower_bound(chunks, budget=10_000, prefix=1_000)) < 10


def test_output_is_deterministic_and_independent_of_input_order() -> None:
    files = make_pr(seed=9, files=200)
    first = plan_chunks(files, budget_tokens=20_000, prefix_tokens=2_000)
    shuffled = list(files)
    random.Random(0).shuffle(shuffled)
    again = plan_chunks(shuffled, budget_tokens=20_000, prefix_tokens=2_000)
    assert first == again
    assert [render_chunk(c) for c in first] == [render_chunk(c) for c in again]


def test_empty_input_gives_no_chunks() -> None:
    assert plan_chunks([], budget_tokens=10_000, prefix_tokens=1_000) == ()


def test_checker_reports_missing_duplicated_and_foreign_lines() -> None:
    rnd = random.Random(6)
    a = make_modified(rnd, "a.py", [[(1, 2)]])
    b = make_modified(rnd, "b.py", [[(1, 1)]])
    chunk = Chunk(files=(a, a), estimated_tokens=1, changed_lines=6, parts=("", ""))
    problems = coverage_problems([a, b], [chunk])
    assert [p.split(" changed")[0] for p in problems] == ["2", "3"]
    assert "missing" in problems[0] and "several chunks" in problems[1]
    foreign = Chunk(files=(a,), estimated_tokens=1, changed_lines=3, parts=("",))
    assert "not in the diff" in coverage_problems([b], [foreign])[1]
