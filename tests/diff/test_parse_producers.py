"""Diffs from other producers and in other encodings: diff -u/-ruN, format-patch, CRLF, UTF-16."""

from __future__ import annotations

from bot.diff.parse import decode_diff, parse_diff


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
