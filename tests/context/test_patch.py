"""A diff against a snapshot: its new side found, its base rebuilt from the head."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.context.patch import PatchedBase, diff_mismatch, rebuild_base
from bot.context.snapshot import MemorySnapshot
from bot.diff.parse import parse_diff

OLD = "".join(f"line {i}\n" for i in range(1, 41))
EDITS = {
    "one hunk": lambda ls: [*ls[:5], "inserted\n", *ls[5:]],
    "two hunks": lambda ls: ["top\n", *ls[:20], "middle\n", *ls[21:]],
    "pure deletion": lambda ls: [*ls[:10], *ls[15:]],
    "delete the end": lambda ls: ls[:30],
    "append": lambda ls: [*ls, "tail 1\n", "tail 2\n"],
    "replace the start": lambda ls: ["new first\n", *ls[3:]],
    "empty it": lambda ls: [],
}


def git_diff(tmp_path: Path, path: str, old: str, new: str) -> str:
    """Real `git diff --no-index` output from `old` to `new`, named `path`."""
    a, b = tmp_path / "a" / path, tmp_path / "b" / path
    for target, text in ((a, old), (b, new)):
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    proc = subprocess.run(
        ["git", "diff", "--no-index", "--no-color", str(a), str(b)],
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.stdout.replace(str(tmp_path / "a") + "/", "").replace(str(tmp_path / "b") + "/", "")


@pytest.mark.parametrize("case", sorted(EDITS))
def test_base_rebuilt_from_head_and_diff_is_the_old_text(tmp_path, case):
    new = "".join(EDITS[case](OLD.splitlines(keepends=True)))
    (f,) = parse_diff(git_diff(tmp_path, "f.txt", OLD, new))
    assert rebuild_base(new, f) == OLD


def test_base_is_none_when_the_head_does_not_match_the_diff(tmp_path):
    new = OLD.replace("line 6\n", "line 6\nadded\n")
    (f,) = parse_diff(git_diff(tmp_path, "f.txt", OLD, new))
    assert rebuild_base(new.replace("added", "something else"), f) is None


def diff_of(**files: tuple[str | None, str | None]) -> str:
    parts = []
    for path, (old, new) in files.items():
        if old is None:
            lines = new.splitlines() if new else []
            parts.append(
                f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n"
                f"+++ b/{path}\n@@ -0,0 +1,{len(lines)} @@\n" + "".join(f"+{x}\n" for x in lines)
            )
        elif new is None:
            lines = old.splitlines()
            parts.append(
                f"diff --git a/{path} b/{path}\ndeleted file mode 100644\n--- a/{path}\n"
                f"+++ /dev/null\n@@ -1,{len(lines)} +0,0 @@\n" + "".join(f"-{x}\n" for x in lines)
            )
    return "".join(parts)


MODIFIED = (
    "diff --git a/src/app.py b/src/app.py\n--- a/src/app.py\n+++ b/src/app.py\n"
    "@@ -1,2 +1,2 @@\n def f(x):\n-    return x\n+    return half(x)\n"
)
RENAMED = (
    "diff --git a/old/name.py b/new/name.py\nsimilarity index 80%\n"
    "rename from old/name.py\nrename to new/name.py\n--- a/old/name.py\n+++ b/new/name.py\n"
    "@@ -1,2 +1,2 @@\n A = 1\n-B = 2\n+B = 3\n"
)


def test_patched_base_for_every_kind_of_change():
    files = parse_diff(
        MODIFIED
        + RENAMED
        + diff_of(**{"added.py": (None, "X = 1\n"), "gone.py": ("Y = 2\n", None)})
    )
    head = MemorySnapshot(
        {
            "src/app.py": b"def f(x):\n    return half(x)\n",
            "new/name.py": b"A = 1\nB = 3\n",
            "added.py": b"X = 1\n",
            "same.py": b"unchanged\n",
        }
    )
    snap = PatchedBase(head, files)
    assert snap.read("src/app.py") == "def f(x):\n    return half(x)\n"
    assert snap.read_base("src/app.py") == "def f(x):\n    return x\n"
    assert snap.read_base("old/name.py") == "A = 1\nB = 2\n"
    assert snap.read_base("new/name.py") is None
    assert snap.read_base("added.py") is None
    assert snap.read_base("gone.py") == "Y = 2\n"
    assert snap.read_base("same.py") == "unchanged\n"
    assert snap.read_base("../same.py") is None
    assert snap.paths() == head.paths() and snap.source == head.source


def test_diff_mismatch_names_the_first_file_that_does_not_match():
    files = parse_diff(MODIFIED + diff_of(**{"gone.py": ("Y = 2\n", None)}))
    good = MemorySnapshot({"src/app.py": b"def f(x):\n    return half(x)\n"})
    assert diff_mismatch(good, files) is None
    stale = MemorySnapshot({"src/app.py": b"def f(x):\n    return x\n"})
    assert diff_mismatch(stale, files) == "src/app.py"
    still_there = MemorySnapshot(
        {"src/app.py": b"def f(x):\n    return half(x)\n", "gone.py": b"Y"}
    )
    assert diff_mismatch(still_there, files) == "gone.py"


COPIED = (
    "diff --git a/lib/a.py b/lib/b.py\nsimilarity index 90%\ncopy from lib/a.py\n"
    "copy to lib/b.py\n--- a/lib/a.py\n+++ b/lib/b.py\n@@ -1,2 +1,2 @@\n A = 1\n-B = 2\n+B = 3\n"
)


def test_a_copy_source_base_is_rebuilt_from_the_copy_when_the_head_lacks_it():
    # A snapshot of the files near the change may hold the copy but not its source.
    head = MemorySnapshot({"lib/b.py": b"A = 1\nB = 3\n"})
    snap = PatchedBase(head, parse_diff(COPIED))
    assert snap.read_base("lib/a.py") == "A = 1\nB = 2\n"
    assert snap.read_base("lib/b.py") is None  # the copy did not exist at the base


def test_closing_a_patched_base_closes_its_head():
    closed: list[bool] = []

    class Closing(MemorySnapshot):
        def close(self) -> None:
            closed.append(True)

    PatchedBase(Closing({}), []).close()
    PatchedBase(MemorySnapshot({}), []).close()  # nothing to release
    assert closed == [True]


def test_lines_holding_a_form_feed_or_u2028_are_one_line_as_git_counts_them(tmp_path):
    # A form feed between sections is common in C and Python sources; str.splitlines() would
    # break the line there, shifting every later line number off the diff's.
    old = "".join(f"line {i}\n" for i in range(1, 9)).replace("line 3", "\x0c line 3 \u2028 x")
    new = old.replace("line 6\n", "line 6\nadded\n")
    (f,) = parse_diff(git_diff(tmp_path, "f.c", old, new))
    assert rebuild_base(new, f) == old
    head = MemorySnapshot({f.path: new.encode()})
    assert diff_mismatch(head, [f]) is None
