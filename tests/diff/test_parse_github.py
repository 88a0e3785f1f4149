"""GitHub's hunks-only patches parsed per file, and the line maps built from them."""

from __future__ import annotations

import pytest

from bot.diff.parse import build_line_map, parse_file_patch
from bot.errors import DiffError


def test_github_patch_added_file() -> None:
    file = parse_file_patch("new.py", "@@ -0,0 +1,2 @@\n+a = 1\n+b = 2", status="added")
    assert (file.path, file.status, file.added, file.removed) == ("new.py", "added", 2, 0)
    assert [ln.new_no for ln in file.hunks[0].lines] == [1, 2]


def test_github_patch_deleted_file() -> None:
    file = parse_file_patch("old.py", "@@ -1,2 +0,0 @@\n-a = 1\n-b = 2", status="deleted")
    assert (file.status, file.added, file.removed) == ("deleted", 0, 2)
    assert build_line_map(file).left == {1: 0, 2: 0}
    assert build_line_map(file).right == {}


def test_github_patch_with_no_newline_markers() -> None:
    patch = (
        "@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file"
    )
    file = parse_file_patch("f.txt", patch)
    assert [(ln.kind, ln.text) for ln in file.hunks[0].lines] == [
        ("context", "a"),
        ("removed", "b"),
        ("added", "c"),
    ]


def test_github_patch_of_a_submodule_and_renames() -> None:
    patch = "@@ -1 +1 @@\n-Subproject commit aaaa\n+Subproject commit bbbb"
    assert parse_file_patch("vendor/lib", patch).submodule
    renamed = parse_file_patch("b.py", "@@ -3 +3 @@\n-x\n+y", status="renamed", old_path="a.py")
    assert (renamed.old_path, renamed.hunks[0].lines[0].old_no) == ("a.py", 3)
    assert parse_file_patch("empty.txt", "", status="added").hunks == ()


@pytest.mark.parametrize(
    "patch", ["not a patch", "@@ -1,3 +1,3 @@\n a\n", "@@ -1 +1 @@\n-a\n+b\n+c"]
)
def test_github_patch_that_does_not_parse(patch: str) -> None:
    with pytest.raises(DiffError, match=r"^f\.py: "):
        parse_file_patch("f.py", patch)


def test_build_line_map_multi_hunk() -> None:
    patch = (
        "@@ -2,4 +2,5 @@ def f():\n c2\n-r3\n+a3\n+a4\n c4\n c5\n"
        "@@ -20,3 +21,2 @@ def g():\n c20\n-r21\n c22\n"
    )
    line_map = build_line_map(parse_file_patch("m.py", patch))
    assert line_map.path == "m.py"
    assert line_map.right == {2: 0, 3: 0, 4: 0, 5: 0, 6: 0, 21: 1, 22: 1}
    assert line_map.left == {2: 0, 3: 0, 4: 0, 5: 0, 20: 1, 21: 1, 22: 1}
    assert line_map.added == frozenset({3, 4})
