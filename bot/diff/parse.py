"""Parse unified diffs (git's and GitHub's) into FileDiffs; build commentable-line maps.

Git's extended header (names, renames, copies, modes, binary markers) is read here, because
unidiff splits `diff --git` lines greedily (a name containing " b/" makes it fail on valid git
output) and keeps quoted names encoded; every file's hunks are read by unidiff (bot.diff.hunks).
"""

from __future__ import annotations

import io
import itertools
import re
from dataclasses import dataclass, field

from bot.diff.hunks import check_hunk_ends, convert, patch_set, read_hunks
from bot.diff.names import (
    git_header_names,
    header_name,
    prefix_pair,
    strip_prefix,
    unquote_name,
)
from bot.errors import DiffError
from bot.models import FileDiff, FileStatus, Hunk, LineMap

_HEADER_RE = re.compile(  # git's extended header lines between "diff --git" and "---"
    r"(old mode|new mode|deleted file mode|new file mode|rename from|rename to|copy from"
    r"|copy to|similarity index|dissimilarity index|index) (.*)"
)
_SECTION_STARTS = ("diff --git ", "diff --cc ", "diff --combined ")
_MOVES: tuple[tuple[str, FileStatus], ...] = (("rename", "renamed"), ("copy", "copied"))
SUBMODULE_MODE = "160000"


def decode_diff(data: bytes) -> str:
    """Bytes to text: UTF-8 where valid, a replacement character where not, never a crash."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Windows PowerShell's `git diff > f`
        return data.decode("utf-16", errors="replace")
    return data.decode("utf-8", errors="replace")


def parse_diff(text: str) -> tuple[FileDiff, ...]:
    """Parse a whole unified diff. Empty input gives no files; anything else must parse."""
    text = text.removeprefix("\ufeff")
    if not text.strip():
        return ()
    # Only "\n" ends a diff line: \r, \f, \x1c, U+2028 … are legal inside source lines.
    lines = list(io.StringIO(text))
    starts = [i for i, line in enumerate(lines) if line.startswith(_SECTION_STARTS)]
    bounds = [*starts, len(lines)]
    files = _plain_files(lines, 0, bounds[0])
    for start, end in itertools.pairwise(bounds):
        if not lines[start].startswith("diff --git "):
            raise DiffError(f"line {start + 1}: combined (merge) diffs are not supported")
        files.append(_git_file(lines, start, end))
    if not files:
        hint = " (it has colour codes: use git diff --no-color)" if "\x1b[" in text else ""
        msg = "not a unified diff: no file headers ('diff --git' or ---/+++) found"
        raise DiffError(msg + hint)
    return tuple(files)


def parse_file_patch(
    path: str, patch: str, *, status: FileStatus = "modified", old_path: str | None = None
) -> FileDiff:
    """Parse the hunks-only `patch` text GitHub's files API returns for one file."""
    lines = list(io.StringIO(patch))
    if lines and not lines[0].startswith("@@ "):
        raise DiffError(f"{path}: not a unified diff patch (unexpected line 1)")
    hunks, end = read_hunks(lines, 0, len(lines), path) if lines else ((), 0)
    if end < len(lines):
        raise DiffError(f"{path}: not a unified diff patch (unexpected line {end + 1})")
    return FileDiff(
        path=path,
        old_path=old_path,
        status=status,
        hunks=hunks,
        submodule=_is_submodule_patch(hunks),
    )


def build_line_map(file: FileDiff) -> LineMap:
    """Lines GitHub accepts review comments on, with the hunk each belongs to."""
    right: dict[int, int] = {}
    left: dict[int, int] = {}
    added: set[int] = set()
    for index, hunk in enumerate(file.hunks):
        for ln in hunk.lines:
            if ln.new_no is not None:
                right[ln.new_no] = index
                if ln.kind == "added":
                    added.add(ln.new_no)
            if ln.old_no is not None:
                left[ln.old_no] = index
    return LineMap(path=file.path, right=right, left=left, added=frozenset(added))


# --- files ------------------------------------------------------------------------------


@dataclass
class _Header:
    """What a file's header block says, before it becomes a FileDiff."""

    old: str | None = None  # path before, prefix removed; None = /dev/null
    new: str | None = None
    status: FileStatus = "modified"
    old_mode: str | None = None
    new_mode: str | None = None
    binary: bool = False
    meta: dict[str, str] = field(default_factory=dict)


def _bare(line: str) -> str:
    return line.rstrip("\r\n")


def _git_file(lines: list[str], start: int, end: int) -> FileDiff:
    """One `diff --git` section, lines[start:end]: git's header, then unidiff's hunks."""
    old_raw, new_raw = git_header_names(_bare(lines[start])[len("diff --git ") :])
    pair = prefix_pair(old_raw, new_raw)
    head = _Header(old=strip_prefix(old_raw, pair[0]), new=strip_prefix(new_raw, pair[1]))
    i = start + 1
    while i < end:
        line = _bare(lines[i])
        if line == "GIT binary patch" or (line.startswith("Binary files ") and " differ" in line):
            head.binary = True  # the binary payload that may follow has no hunks
        elif match := _HEADER_RE.fullmatch(line):
            head.meta[match[1]] = match[2]
        else:
            break
        i += 1
    _apply_meta(head)
    if i < end and lines[i].startswith("--- "):
        if i + 1 >= end or not lines[i + 1].startswith("+++ "):
            raise DiffError(f"line {i + 1}: '---' file header without a '+++' line")
        if head.status not in ("renamed", "copied"):
            head.old = strip_prefix(header_name(lines[i][4:]), pair[0])
            head.new = strip_prefix(header_name(lines[i + 1][4:]), pair[1])
        i += 2
    if head.status == "modified" and head.old is None:
        head.status = "added"
    elif head.status == "modified" and head.new is None:
        head.status = "deleted"
    path = _path_of(head.old, head.new, line=start + 1)
    hunks = read_hunks(lines, i, end, path)[0] if i < end and lines[i].startswith("@@ ") else ()
    return _file_diff(head, path, hunks)


def _plain_files(lines: list[str], start: int, end: int) -> list[FileDiff]:
    """Files of a diff without git's headers (`diff -u`, `git diff --no-index`, svn, hg)."""
    first = next(
        (
            i
            for i in range(start, end - 1)
            if lines[i].startswith("--- ") and lines[i + 1].startswith("+++ ")
        ),
        end,
    )
    stray = next((i for i in range(start, first) if lines[i].startswith("@@ ")), None)
    if stray is not None:
        raise DiffError(f"not a unified diff: hunk header at line {stray + 1} has no file header")
    if first == end:
        return []  # a preamble: commit message, e-mail headers, prose
    fed = lines[first:end]
    files = []
    for patched in patch_set(fed, base=first, path=None):
        old_raw, new_raw = header_name(patched.source_file), header_name(patched.target_file)
        pair = prefix_pair(old_raw, new_raw)
        old, new = strip_prefix(old_raw, pair[0]), strip_prefix(new_raw, pair[1])
        path = _path_of(old, new, line=first + (patched.diff_line_no or 2) - 1)  # its --- line
        check_hunk_ends(fed, patched, base=first, path=path)
        # Without git's headers, two different names are two snapshots of one file (diff -u
        # f.orig f, git diff --no-index A B), not a rename the repository records.
        hunks = convert(patched)
        head = _Header(old=old, new=new, status=_plain_status(old, new, hunks))
        head.binary = patched.is_binary_file
        files.append(_file_diff(head, path, hunks))
    return files


def _path_of(old: str | None, new: str | None, *, line: int) -> str:
    """The path a file goes by: its new name, or the old one when it was deleted."""
    path = new if new is not None else old
    if path is None:
        raise DiffError(f"line {line}: file header names no file (both sides /dev/null)")
    return path


def _plain_status(old: str | None, new: str | None, hunks: tuple[Hunk, ...]) -> FileStatus:
    if old is None:
        return "added"
    if new is None:
        return "deleted"
    # `diff -N` names both sides of a file that exists on one side only; its one hunk
    # starts at line 0 of the side that is missing.
    if len(hunks) == 1 and (hunks[0].old_start, hunks[0].old_len) == (0, 0):
        return "added"
    if len(hunks) == 1 and (hunks[0].new_start, hunks[0].new_len) == (0, 0):
        return "deleted"
    return "modified"


def _apply_meta(head: _Header) -> None:
    meta = head.meta
    head.old_mode = meta.get("old mode") or meta.get("deleted file mode")
    head.new_mode = meta.get("new mode") or meta.get("new file mode")
    index_mode = meta.get("index", "").partition(" ")[2] or None
    head.old_mode = head.old_mode or (index_mode if "new file mode" not in meta else None)
    head.new_mode = head.new_mode or (index_mode if "deleted file mode" not in meta else None)
    for kind, status in _MOVES:
        if f"{kind} from" in meta and f"{kind} to" in meta:
            head.old = unquote_name(meta[f"{kind} from"])
            head.new = unquote_name(meta[f"{kind} to"])
            head.status = status
    if "new file mode" in meta:
        head.status, head.old = "added", None
    elif "deleted file mode" in meta:
        head.status, head.new = "deleted", None


def _file_diff(head: _Header, path: str, hunks: tuple[Hunk, ...]) -> FileDiff:
    modes = (head.old_mode, head.new_mode)
    return FileDiff(
        path=path,
        old_path=head.old if head.status in ("renamed", "copied") else None,
        status=head.status,
        binary=head.binary,
        hunks=hunks,
        old_mode=head.old_mode,
        new_mode=head.new_mode,
        submodule=SUBMODULE_MODE in modes or (modes == (None, None) and _is_submodule_patch(hunks)),
    )


def _is_submodule_patch(hunks: tuple[Hunk, ...]) -> bool:
    # GitHub's per-file patch carries no modes; a gitlink shows as "Subproject commit <sha>".
    lines = [ln for h in hunks for ln in h.lines]
    return bool(lines) and all(ln.text.startswith("Subproject commit ") for ln in lines)
