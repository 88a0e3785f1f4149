"""Diff parsing: golden files from real git, malformed input, GitHub patches, line maps."""

from __future__ import annotations

import difflib
import json
import random
import time
from dataclasses import FrozenInstanceError
from pathlib import Path
from typing import Any

import pytest
from unidiff import PatchSet

from bot.diff.parse import build_line_map, decode_diff, parse_diff, parse_file_patch
from bot.errors import DiffError
from bot.models import FileDiff
from tests import DATA

DIFFS = DATA / "diffs"
GOLDEN = sorted(DIFFS.glob("*.diff"))


def golden(data: bytes) -> list[dict[str, Any]]:
    """Same shape as tests/data/diffs/make_expected.py writes."""
    out = []
    for file in parse_diff(decode_diff(data)):
        line_map = build_line_map(file).model_dump(mode="json")
        line_map["added"] = sorted(line_map["added"])
        # shown_* are set by redaction, not by the parser
        dumped = file.model_dump(mode="json", exclude={"shown_path", "shown_old_path"})
        out.append({"file": dumped, "line_map": line_map})
    return out


def by_path(text: str) -> dict[str, FileDiff]:
    return {f.path: f for f in parse_diff(text)}


def test_golden_files_exist() -> None:
    names = {p.stem for p in GOLDEN}
    assert len(names) >= 19
    assert all((DIFFS / f"{n}.expected.json").is_file() for n in names)


@pytest.mark.parametrize("diff", GOLDEN, ids=lambda p: p.stem)
def test_golden(diff: Path) -> None:
    expected = json.loads(diff.with_name(f"{diff.stem}.expected.json").read_text("utf-8"))
    assert golden(diff.read_bytes()) == expected


# --- what the golden files pin, stated once more in plain asserts ---------------------


def golden_files(name: str) -> dict[str, FileDiff]:
    return by_path(decode_diff((DIFFS / f"{name}.diff").read_bytes()))


def test_renames_and_copies_keep_both_paths() -> None:
    (pure,) = golden_files("rename_pure").values()
    assert (pure.status, pure.old_path, pure.path, pure.hunks) == (
        "renamed",
        "old_name.txt",
        "new_name.txt",
        (),
    )
    (copy,) = golden_files("copy").values()
    assert (copy.status, copy.old_path, copy.path) == ("copied", "original.txt", "duplicate.txt")


def test_quoted_names_decode_to_real_utf8() -> None:
    files = golden_files("quoted_names")
    assert set(files) == {
        "café ünicode.txt",
        "mode me.sh",
        "moved/✓ café ünicode.txt",
        "plan b/notes.md",
        'quote"and\\backslash.txt',
        "renamed ✓.txt",
    }
    assert files["renamed ✓.txt"].old_path == "with space.txt"
    assert files["moved/✓ café ünicode.txt"].old_path == "café ünicode.txt.orig"
    assert (files["mode me.sh"].old_mode, files["mode me.sh"].new_mode) == ("100644", "100755")


def test_binary_submodule_and_modes() -> None:
    for name in ("binary", "binary_patch"):
        files = golden_files(name)
        assert all(f.binary and not f.hunks for f in files.values())
        assert files["added.bin"].status == "added"
    assert golden_files("submodule_update")["vendor/sublib"].submodule
    assert not golden_files("submodule_add")[".gitmodules"].submodule
    (deleted,) = golden_files("deleted_file").values()
    assert (deleted.status, deleted.path, deleted.old_path) == ("deleted", "gone.txt", None)
    (empty,) = golden_files("empty_new_file").values()
    assert (empty.status, empty.hunks, empty.new_mode) == ("added", (), "100644")


# --- unidiff as an independent oracle for hunk content ----------------------------------


def unidiff_lines(text: str) -> list[list[tuple[str, int | None, int | None, str]]]:
    kinds = {"+": "added", "-": "removed", " ": "context"}
    patch = PatchSet([line + "\n" for line in text.split("\n")[:-1]])
    return [
        [
            (kinds[ln.line_type], ln.source_line_no, ln.target_line_no, ln.value.rstrip("\n"))
            for ln in hunk
            if ln.line_type in kinds
        ]
        for pf in patch
        for hunk in pf
    ]


def our_lines(text: str) -> list[list[tuple[str, int | None, int | None, str]]]:
    return [
        [(ln.kind, ln.old_no, ln.new_no, ln.text) for ln in hunk.lines]
        for f in parse_diff(text)
        for hunk in f.hunks
    ]


# parse_diff reads git's headers itself and gives each file's hunks to unidiff; the lines
# must be what unidiff reads from the whole diff at once. (Whole, unidiff raises on
# quoted_names: a valid git header whose path contains " b/", which it splits greedily.)
@pytest.mark.parametrize("diff", [p for p in GOLDEN if p.stem != "quoted_names"], ids=str)
def test_hunks_match_unidiff_on_golden(diff: Path) -> None:
    text = decode_diff(diff.read_bytes()).replace("\r", "")  # unidiff keeps CRs in values
    assert our_lines(text) == unidiff_lines(text)


def random_file(rng: random.Random, n: int) -> list[str]:
    # Form feeds, U+2028 and lone CRs are legal inside a line and must not split it.
    words = [
        "x = 1",
        "",
        "    return y",
        "--- not a header",
        "+++ nor this",
        "@@ text",
        "\f",
        "a\u2028b",
        "x\ry",
    ]
    return [rng.choice(words) + f" {rng.randrange(5)}\n" for _ in range(n)]


def mutate(rng: random.Random, lines: list[str]) -> list[str]:
    out = list(lines)
    for _ in range(rng.randrange(1, 8)):
        at = rng.randrange(len(out) + 1)
        if rng.random() < 0.5 and at < len(out):
            del out[at : at + rng.randrange(1, 4)]
        else:
            out[at:at] = [f"new line {rng.random():.3f}\n"] * rng.randrange(1, 3)
    return out


@pytest.mark.parametrize("seed", range(40))
def test_random_difflib_diffs_rebuild_the_new_file(seed: int) -> None:
    rng = random.Random(seed)
    old = random_file(rng, rng.randrange(1, 60))
    new = mutate(rng, old)
    text = "".join(difflib.unified_diff(old, new, "a/f.txt", "b/f.txt", n=rng.randrange(4)))
    if not text:
        return
    assert our_lines(text) == unidiff_lines(text)
    (file,) = parse_diff(text)
    assert rebuild(old, file) == [ln.rstrip("\n") for ln in new]


def rebuild(old: list[str], file: FileDiff) -> list[str]:
    """Apply `file`'s hunks to `old`, checking every removed/context line on the way."""
    src = [ln.rstrip("\n") for ln in old]
    out: list[str] = []
    pos = 0
    for hunk in file.hunks:
        first = hunk.old_start - 1 if hunk.old_len else hunk.old_start
        out += src[pos:first]
        pos = first
        for ln in hunk.lines:
            if ln.kind != "added":
                assert src[pos] == ln.text and ln.old_no == pos + 1
                pos += 1
            if ln.kind != "removed":
                out.append(ln.text)
                assert ln.new_no == len(out)
    return out + src[pos:]


# --- empty, not-a-diff, broken ----------------------------------------------------------


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


# --- other producers and encodings ------------------------------------------------------


def test_plain_diff_u_with_timestamps() -> None:
    text = (
        "--- old/app.c\t2024-01-01 10:00:00.000000000 +0000\n"
        "+++ new/app.c\t2024-01-02 10:00:00.000000000 +0000\n"
        "@@ -1,2 +1,2 @@\n int x;\n-int y;\n+long y;\n"
        "--- /dev/null\t1970-01-01 00:00:00.000000000 +0000\n"
        "+++ b/added.c\t2024-01-02 10:00:00.000000000 +0000\n"
        "@@ -0,0 +1 @@\n+int z;\n"
    )
    files = parse_diff(text)
    assert [(f.path, f.status, f.old_path) for f in files] == [
        ("new/app.c", "modified", None),
        ("added.c", "added", None),
    ]


def test_diff_ru_new_file_names_both_sides_and_is_still_added_or_deleted() -> None:
    # `diff -ruN d1 d2` (GNU diffutils) for a file only in d2, one only in d1, one in both.
    epoch = "\t1970-01-01 00:00:00.000000000 +0000"
    stamp = "\t2026-11-26 02:00:00.000000000 +0000"
    text = (
        f"diff -ruN d1/new.txt d2/new.txt\n--- d1/new.txt{epoch}\n+++ d2/new.txt{stamp}\n"
        "@@ -0,0 +1 @@\n+new\n"
        f"diff -ruN d1/old.txt d2/old.txt\n--- d1/old.txt{stamp}\n+++ d2/old.txt{epoch}\n"
        "@@ -1,2 +0,0 @@\n-a\n-b\n"
        f"diff -ruN d1/x.txt d2/x.txt\n--- d1/x.txt{stamp}\n+++ d2/x.txt{stamp}\n"
        "@@ -1,2 +1,2 @@\n a\n-b\n+c\n"
    )
    assert [(f.path, f.status) for f in parse_diff(text)] == [
        ("d2/new.txt", "added"),
        ("d2/old.txt", "deleted"),
        ("d2/x.txt", "modified"),
    ]


def test_format_patch_mail_with_preamble_and_signature() -> None:
    text = (
        "From 1234 Mon Sep 17 00:00:00 2001\nSubject: [PATCH] fix\n\n---\n x | 2 +-\n\n"
        "diff --git a/x b/x\nindex 1..2 100644\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n"
        "-- \n2.39.5\n\n"
    )
    (file,) = parse_diff(text)
    assert (file.path, file.added, file.removed) == ("x", 1, 1)


def test_no_prefix_and_mnemonic_prefix_diffs() -> None:
    no_prefix = "diff --git a/x a/x\nindex 1..2 100644\n--- a/x\n+++ a/x\n@@ -1 +1 @@\n-a\n+b\n"
    assert parse_diff(no_prefix)[0].path == "a/x"  # --no-prefix: "a/" is part of the path
    mnemonic = (
        "diff --git i/src/m.py w/src/m.py\n--- i/src/m.py\n+++ w/src/m.py\n@@ -1 +1 @@\n-a\n+b\n"
    )
    assert parse_diff(mnemonic)[0].path == "src/m.py"


def test_whole_diff_with_crlf_and_bom() -> None:
    lf = "diff --git a/x b/x\nindex 1..2 100644\n--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n"
    text = "\ufeff" + lf.replace("\n", "\r\n")
    (file,) = parse_diff(text)
    assert file.path == "x"
    assert [ln.text for ln in file.hunks[0].lines] == ["a", "b", "c"]


def test_decode_diff_never_fails() -> None:
    assert decode_diff(b"caf\xe9\n") == "caf\ufffd\n"
    assert decode_diff("café".encode()) == "café"
    assert decode_diff(b"\xff\xfe\x00") == "\ufffd"  # odd-length UTF-16


def test_utf16_diff_from_windows_powershell() -> None:
    text = "diff --git a/é.txt b/é.txt\n--- a/é.txt\n+++ b/é.txt\n@@ -1 +1 @@\n-a\n+b\n"
    (file,) = parse_diff(decode_diff(text.encode("utf-16")))  # encode() writes a BOM
    assert (file.path, file.added) == ("é.txt", 1)


def test_git_header_without_mode_lines_still_gets_status_from_dev_null() -> None:
    added = "diff --git a/n.py b/n.py\n--- /dev/null\n+++ b/n.py\n@@ -0,0 +1 @@\n+x\n"
    deleted = "diff --git a/o.py b/o.py\n--- a/o.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n"
    assert [(f.path, f.status) for f in parse_diff(added + deleted)] == [
        ("n.py", "added"),
        ("o.py", "deleted"),
    ]


def test_empty_context_line_without_its_space() -> None:
    (file,) = parse_diff("--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n\n-b\n+c\n")
    assert [(ln.kind, ln.old_no, ln.new_no, ln.text) for ln in file.hunks[0].lines] == [
        ("context", 1, 1, "a"),
        ("context", 2, 2, ""),
        ("removed", 3, None, "b"),
        ("added", None, 3, "c"),
    ]


# --- GitHub's hunks-only patches --------------------------------------------------------


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


# --- line maps --------------------------------------------------------------------------


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
