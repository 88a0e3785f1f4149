"""Diff parsing of empty, non-diff, broken and hostile input: one clear DiffError line."""

from __future__ import annotations

import json
import time
from dataclasses import FrozenInstanceError

import pytest

from bot.diff.parse import parse_diff
from bot.errors import DiffError


@pytest.mark.parametrize("text", ["", "\n\n", "  \t\n"])
def test_empty_input_is_no_files(text: str) -> None:
    assert parse_diff(text) == ()


@pytest.mark.parametrize(
    "text",
    [
        "Hello,\nthis is a letter about the diff we discussed.\n",
        json.dumps({"diff": "--- a/x", "files": [1, 2]}, indent=2),
        "@@ -1 +1 @@\n-a\n+b\n",
        "--- only a source line\nand prose after it\n",
    ],
    ids=["prose", "json", "lone-hunk", "dashes"],
)
def test_not_a_diff(text: str) -> None:
    with pytest.raises(DiffError) as err:
        parse_diff(text)
    assert str(err.value).startswith("not a unified diff")
    assert "\n" not in str(err.value)


def test_coloured_git_output_gets_a_hint() -> None:
    coloured = "\x1b[1mdiff --git a/x b/x\x1b[m\n\x1b[1m--- a/x\x1b[m\n\x1b[1m+++ b/x\x1b[m\n"
    with pytest.raises(DiffError, match=r"^not a unified diff: .* use git diff --no-color\)$"):
        parse_diff(coloured + "\x1b[36m@@ -1 +1 @@\x1b[m\n\x1b[31m-a\x1b[m\n\x1b[32m+b\x1b[m\n")


def test_truncated_hunk_is_a_diff_error() -> None:
    text = "--- a/x.py\n+++ b/x.py\n@@ -1,5 +1,5 @@\n a\n-b\n"
    with pytest.raises(DiffError, match=r"x\.py: hunk at line 3 is truncated"):
        parse_diff(text)


def test_hunk_that_disagrees_with_its_header_is_a_diff_error() -> None:
    short = "--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n-b\n+c\n@@ -9 +9 @@\n-d\n+e\n"
    with pytest.raises(DiffError, match="does not match its header"):
        parse_diff(short)
    long = "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-b\n+c\n+d\n"
    with pytest.raises(DiffError, match="continues a hunk"):
        parse_diff(long)


def test_malformed_hunk_header_after_a_hunk_is_a_diff_error() -> None:
    text = "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n@@ -5,x +5 @@\n-c\n+d\n"
    with pytest.raises(DiffError, match=r"^x: malformed hunk header at line 7$"):
        parse_diff(text)


def test_stray_lines_between_hunks_are_a_diff_error() -> None:
    text = "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\nstray prose\n@@ -5 +5 @@\n-c\n+d\n"
    with pytest.raises(DiffError, match=r"^x: line 7: hunk header after lines that belong"):
        parse_diff(text)


def test_error_in_a_plain_multi_file_diff_names_its_file() -> None:
    good = "--- a/one.c\n+++ b/one.c\n@@ -1 +1 @@\n-a\n+b\n"
    bad = "--- a/two.c\n+++ b/two.c\n@@ -1,3 +1,3 @@\n a\n-b\n"
    with pytest.raises(DiffError, match=r"^two\.c: hunk at line 8 is truncated"):
        parse_diff(good + bad)


def test_error_in_a_plain_diff_of_a_deleted_file_names_it_without_its_prefix() -> None:
    with pytest.raises(DiffError, match=r"^gone\.py: hunk at line 3 is truncated"):
        parse_diff("--- a/gone.py\n+++ /dev/null\n@@ -1,3 +0,0 @@\n-a\n")


def test_truncated_hunk_in_the_middle_of_a_git_diff_names_its_file_and_line() -> None:
    first = "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1,4 +1,4 @@\n x\n-y\n+z\n"
    second = "diff --git a/b.py b/b.py\n--- a/b.py\n+++ b/b.py\n@@ -1 +1 @@\n-p\n+q\n"
    with pytest.raises(DiffError, match=r"^a\.py: hunk at line 4 is truncated"):
        parse_diff(first + second)
    assert [f.path for f in parse_diff(second + second.replace("b.py", "c.py"))] == [
        "b.py",
        "c.py",
    ]


def test_diff_lines_are_immutable() -> None:
    (file,) = parse_diff("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n")
    with pytest.raises(FrozenInstanceError):
        file.hunks[0].lines[0].text = "changed"  # type: ignore[misc]


def test_git_header_without_target_line_is_a_diff_error() -> None:
    with pytest.raises(DiffError, match="without a"):
        parse_diff("diff --git a/x b/x\nindex 1..2 100644\n--- a/x\n@@ -1 +1 @@\n")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("diff --git a/x b/x\n--- /dev/null\n+++ /dev/null\n", 1),
        ("prose\n--- /dev/null\n+++ /dev/null\n@@ -0,0 +1 @@\n+a\n", 2),
        ("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n--- /dev/null\n+++ /dev/null\n", 6),
    ],
    ids=["git", "plain", "plain-second-file"],
)
def test_file_header_with_dev_null_on_both_sides_is_a_diff_error(text: str, line: int) -> None:
    with pytest.raises(DiffError, match=rf"^line {line}: file header names no file \(both"):
        parse_diff(text)


def test_combined_merge_diff_is_rejected_clearly() -> None:
    with pytest.raises(DiffError, match="combined"):
        parse_diff("diff --cc f.txt\nindex 1,2..3\n--- a/f.txt\n+++ b/f.txt\n@@@ -1 -1 +1 @@@\n")


def test_bad_quoted_name_is_a_diff_error() -> None:
    with pytest.raises(DiffError, match="quoted file name"):
        parse_diff('diff --git "a/x\\q" "b/x\\q"\nold mode 100644\nnew mode 100755\n')


def test_a_line_shaped_to_stall_unidiff_parses_quickly() -> None:
    # unidiff's "Binary files A and B differ" pattern backtracks on a line that never says
    # "differ"; 40 KB of it took seconds, 1 MB would take hours.
    hostile = "Binary files " + "a and " * 50_000
    diff = f"--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a\n+b\n{hostile}\n"
    started = time.monotonic()
    (file,) = parse_diff(diff)
    assert [ln.text for ln in file.hunks[0].lines] == ["a", "b"]
    section = f"diff --git a/y b/y\n--- a/y\n+++ b/y\n@@ -1 +1 @@\n-a\n+b\n{hostile}\n"
    assert parse_diff(section)[0].path == "y"
    assert time.monotonic() - started < 5
