"""GitHub's rules for where a review comment may go, re-implemented apart from `bot` on purpose.

A comment with `line`/`side` must land on a line GitHub shows in the PR diff: side RIGHT names the
new-file number of an added or context line, side LEFT the old-file number of a removed or context
line, inside a hunk of that file's `patch`. A multi-line comment (`start_line`) must stay in the
same hunk. This module is independent of the product's diff parser so that the fake is a real check
on it, not a mirror of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

HUNK_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")

LINE_NOT_IN_DIFF = "Pull request review thread line must be part of the diff"
START_NOT_SAME_HUNK = (
    "Pull request review thread start line must be part of the same hunk as the line."
)
UNKNOWN_PATH = "Line could not be resolved"
# Unconfirmed wording; GitHub does reject a start_line that is not before line.
START_AFTER_LINE = "Pull request review thread start line must precede the end line."


@dataclass(frozen=True)
class Hunk:
    right: frozenset[int]  # new-file numbers of added and context lines
    left: frozenset[int]  # old-file numbers of removed and context lines


def parse_hunks(patch: str | None) -> list[Hunk]:
    """Hunks of one file's `patch` as the files API returns it (no `diff --git` header)."""
    hunks: list[Hunk] = []
    if not patch:
        return hunks
    right: set[int] = set()
    left: set[int] = set()
    old = new = old_left = new_left = 0
    in_hunk = False
    for raw in patch.split("\n"):
        header = HUNK_HEADER.match(raw)
        if header:
            if in_hunk:
                hunks.append(Hunk(frozenset(right), frozenset(left)))
            old, new = int(header[1]), int(header[3])
            old_left = int(header[2]) if header[2] is not None else 1
            new_left = int(header[4]) if header[4] is not None else 1
            right, left, in_hunk = set(), set(), True
            continue
        if not in_hunk or raw.startswith("\\") or (old_left <= 0 and new_left <= 0):
            continue
        kind = raw[:1]
        if kind == "+":
            right.add(new)
            new, new_left = new + 1, new_left - 1
        elif kind == "-":
            left.add(old)
            old, old_left = old + 1, old_left - 1
        else:  # context (" ", or "" if a tool stripped the trailing blank)
            right.add(new)
            left.add(old)
            new, new_left, old, old_left = new + 1, new_left - 1, old + 1, old_left - 1
    if in_hunk:
        hunks.append(Hunk(frozenset(right), frozenset(left)))
    return hunks


def hunk_of(hunks: list[Hunk], side: str, line: int) -> int | None:
    """Index of the hunk where `line` is commentable on `side`, or None."""
    for index, hunk in enumerate(hunks):
        if line in (hunk.right if side == "RIGHT" else hunk.left):
            return index
    return None


def comment_error(patch_by_path: dict[str, str | None], comment: dict[str, Any]) -> str | None:
    """GitHub's error message for one review comment, or None when GitHub accepts it."""
    path = comment.get("path")
    if path not in patch_by_path:
        return UNKNOWN_PATH
    if comment.get("subject_type") == "file":
        return None
    line, side = comment.get("line"), comment.get("side") or "RIGHT"
    if not isinstance(line, int) or side not in ("LEFT", "RIGHT"):
        return LINE_NOT_IN_DIFF
    hunks = parse_hunks(patch_by_path[path])
    end_hunk = hunk_of(hunks, side, line)
    if end_hunk is None:
        return LINE_NOT_IN_DIFF
    start = comment.get("start_line")
    if start is None:
        return None
    start_side = comment.get("start_side") or side
    if not isinstance(start, int) or hunk_of(hunks, start_side, start) is None:
        return LINE_NOT_IN_DIFF
    if start_side != side or hunk_of(hunks, start_side, start) != end_hunk:
        return START_NOT_SAME_HUNK
    if start >= line:
        return START_AFTER_LINE
    return None


def count_patch_lines(patch: str | None) -> tuple[int, int]:
    """(additions, deletions) counted from a patch, for files given without counts."""
    added = removed = 0
    for raw in (patch or "").split("\n"):
        if raw.startswith("+"):
            added += 1
        elif raw.startswith("-"):
            removed += 1
    return added, removed


def render_file_diff(entry: dict[str, Any]) -> str:
    """One file's section of `Accept: application/vnd.github.diff`, in git's layout."""
    new = entry["filename"]
    old = entry.get("previous_filename") or new
    status = entry.get("status", "modified")
    lines = [f"diff --git a/{old} b/{new}"]
    if status == "added":
        lines += ["new file mode 100644", "index 0000000..1111111"]
    elif status == "removed":
        lines += ["deleted file mode 100644", "index 1111111..0000000"]
    elif status == "renamed":
        lines += ["similarity index 90%", f"rename from {old}", f"rename to {new}"]
    if status not in ("added", "removed") and entry.get("patch"):
        lines.append("index 1111111..2222222 100644")
    a_name = "/dev/null" if status == "added" else f"a/{old}"
    b_name = "/dev/null" if status == "removed" else f"b/{new}"
    if entry.get("patch") is None:
        if status != "renamed":
            lines.append(f"Binary files {a_name} and {b_name} differ")
    else:
        lines += [f"--- {a_name}", f"+++ {b_name}", entry["patch"]]
    return "\n".join(lines) + "\n"


def diff_hunk(patch: str | None, line: int | None, side: str = "RIGHT") -> str:
    """The hunk of `patch` holding `line` (on `side`), from its header to that line."""
    if not patch or line is None:
        return ""
    start, old, new = 0, 0, 0
    rows = patch.split("\n")
    for i, raw in enumerate(rows):
        header = HUNK_HEADER.match(raw)
        if header:
            start, old, new = i, int(header[1]), int(header[3])
            continue
        kind = raw[:1]
        here = new if kind in ("+", " ") and side == "RIGHT" else old if kind != "+" else None
        if here == line and (kind != "-" or side == "LEFT"):
            return "\n".join(rows[start : i + 1])
        old += kind in ("-", " ")
        new += kind in ("+", " ")
    return ""
