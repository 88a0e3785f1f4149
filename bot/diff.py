"""Parse unified diffs (git's and GitHub's) into FileDiffs; build commentable-line maps."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.errors import DiffError
from bot.models import DiffLine, FileDiff, FileStatus, Hunk, LineMap

# A line-oriented parser of our own rather than unidiff: unidiff splits `diff --git`
# headers greedily (a path containing " b/" makes it raise on valid git output), keeps
# octal-quoted names undecoded and guesses statuses from hunk shapes. Git's extended
# headers are authoritative here; hunk content is cross-checked against unidiff in tests.

_HUNK_RE = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)")
_HEADER_RE = re.compile(  # git's extended header lines between "diff --git" and "---"
    r"(old mode|new mode|deleted file mode|new file mode|rename from|rename to|copy from"
    r"|copy to|similarity index|dissimilarity index|index) (.*)"
)
# Source/destination prefixes git may write: default, diff.mnemonicPrefix, --no-index.
_PREFIX_PAIRS = (("a/", "b/"), ("c/", "w/"), ("c/", "i/"), ("i/", "w/"), ("o/", "w/"), ("1/", "2/"))
_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}
_OCTAL = frozenset("01234567")
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
    lines = _split_lines(text)
    files: list[FileDiff] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("diff --git "):
            file, i = _git_file(lines, i)
        elif line.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ "):
            file, i = _plain_file(lines, i)
        elif line.startswith(("diff --cc ", "diff --combined ")):
            raise DiffError(f"line {i + 1}: combined (merge) diffs are not supported")
        elif line.startswith("@@ "):
            lead = "bad diff" if files else "not a unified diff"
            raise DiffError(f"{lead}: hunk header at line {i + 1} has no file header before it")
        else:  # preamble, commit messages, binary payloads, e-mail signatures
            i += 1
            continue
        files.append(file)
    if not files:
        raise DiffError("not a unified diff: no file headers ('diff --git' or ---/+++) found")
    return tuple(files)


def parse_file_patch(
    path: str, patch: str, *, status: FileStatus = "modified", old_path: str | None = None
) -> FileDiff:
    """Parse the hunks-only `patch` text GitHub's files API returns for one file."""
    lines = _split_lines(patch)
    hunks, end = _hunks(lines, 0, path)
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


def _split_lines(text: str) -> list[str]:
    # Only "\n" ends a diff line: str.splitlines() would also split on \r, \f, \x1c,
    # \u2028 … that source files legitimately contain, and break hunk line counts.
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _is_binary_marker(line: str) -> bool:
    return line == "GIT binary patch" or (
        line.startswith("Binary files ") and line.endswith(" differ")
    )


def _git_file(lines: list[str], i: int) -> tuple[FileDiff, int]:
    old_raw, new_raw = _git_header_names(lines[i][len("diff --git ") :].rstrip("\r"))
    pair = _prefix_pair(old_raw, new_raw)
    head = _Header(old=_strip(old_raw, pair[0]), new=_strip(new_raw, pair[1]))
    i += 1
    while i < len(lines):
        line = lines[i].rstrip("\r")
        if _is_binary_marker(line):
            head.binary = True  # a binary payload that may follow is skipped by the caller
        elif match := _HEADER_RE.fullmatch(line):
            head.meta[match[1]] = match[2]
        else:
            break
        i += 1
    _apply_meta(head)
    if i < len(lines) and lines[i].startswith("--- "):
        if i + 1 >= len(lines) or not lines[i + 1].startswith("+++ "):
            raise DiffError(f"line {i + 1}: '---' file header without a '+++' line")
        if head.status not in ("renamed", "copied"):
            head.old = _strip(_header_path(lines[i]), pair[0])
            head.new = _strip(_header_path(lines[i + 1]), pair[1])
        i += 2
    if head.status == "modified" and head.old is None:
        head.status = "added"
    elif head.status == "modified" and head.new is None:
        head.status = "deleted"
    return _finish(head, lines, i)


def _plain_file(lines: list[str], i: int) -> tuple[FileDiff, int]:
    old_raw, new_raw = _header_path(lines[i]), _header_path(lines[i + 1])
    pair = _prefix_pair(old_raw, new_raw)
    head = _Header(old=_strip(old_raw, pair[0]), new=_strip(new_raw, pair[1]))
    # Without git's headers, two different names are two snapshots of one file (diff -u
    # f.orig f, git diff --no-index A B), not a rename the repository records.
    head.status = "added" if head.old is None else "deleted" if head.new is None else "modified"
    return _finish(head, lines, i + 2)


def _apply_meta(head: _Header) -> None:
    meta = head.meta
    head.old_mode = meta.get("old mode") or meta.get("deleted file mode")
    head.new_mode = meta.get("new mode") or meta.get("new file mode")
    index_mode = meta.get("index", "").partition(" ")[2] or None
    head.old_mode = head.old_mode or (index_mode if "new file mode" not in meta else None)
    head.new_mode = head.new_mode or (index_mode if "deleted file mode" not in meta else None)
    for kind, status in _MOVES:
        if f"{kind} from" in meta and f"{kind} to" in meta:
            head.old = _unquote_name(meta[f"{kind} from"])
            head.new = _unquote_name(meta[f"{kind} to"])
            head.status = status
    if "new file mode" in meta:
        head.status, head.old = "added", None
    elif "deleted file mode" in meta:
        head.status, head.new = "deleted", None


def _finish(head: _Header, lines: list[str], i: int) -> tuple[FileDiff, int]:
    path = head.new if head.new is not None else head.old
    if path is None:
        raise DiffError(f"line {i}: file header names no file (both sides /dev/null)")
    hunks, i = _hunks(lines, i, path)
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
    ), i


def _is_submodule_patch(hunks: tuple[Hunk, ...]) -> bool:
    # GitHub's per-file patch carries no modes; a gitlink shows as "Subproject commit <sha>".
    lines = [ln for h in hunks for ln in h.lines]
    return bool(lines) and all(ln.text.startswith("Subproject commit ") for ln in lines)


# --- hunks ------------------------------------------------------------------------------


def _hunks(lines: list[str], i: int, path: str) -> tuple[tuple[Hunk, ...], int]:
    hunks = []
    while i < len(lines) and lines[i].startswith("@@ "):
        hunk, i = _hunk(lines, i, path)
        hunks.append(hunk)
    if i < len(lines) and _continues_hunk(lines[i]) and hunks:
        raise DiffError(f"{path}: line {i + 1} continues a hunk past the length its header gives")
    return tuple(hunks), i


def _continues_hunk(line: str) -> bool:
    # "--- " starts the next plain file and "-- " an e-mail signature (git format-patch).
    return line[:1] in ("+", " ") or (line[:1] == "-" and not line.startswith(("--- ", "-- ")))


def _hunk(lines: list[str], i: int, path: str) -> tuple[Hunk, int]:
    match = _HUNK_RE.fullmatch(lines[i].rstrip("\r"))
    if match is None:
        raise DiffError(f"{path}: malformed hunk header at line {i + 1}: {lines[i][:80]!r}")
    old_len = 1 if match[2] is None else int(match[2])
    new_len = 1 if match[4] is None else int(match[4])
    start = (int(match[1]), int(match[3]))
    body, end = _hunk_lines(lines, i + 1, start=start, counts=(old_len, new_len), path=path)
    while end < len(lines) and lines[end].startswith("\\"):
        end += 1
    hunk = Hunk(
        old_start=start[0],
        old_len=old_len,
        new_start=start[1],
        new_len=new_len,
        section=match[5].strip(),
        lines=body,
    )
    return hunk, end


def _hunk_lines(
    lines: list[str], i: int, *, start: tuple[int, int], counts: tuple[int, int], path: str
) -> tuple[tuple[DiffLine, ...], int]:
    """Read exactly the old/new line counts the header gave; the hot loop of the parser."""
    (old_no, new_no), (old_left, new_left) = start, counts
    where = f"{path}: hunk at line {i}"
    out: list[DiffLine] = []
    while old_left or new_left:
        if i >= len(lines):
            missing = f"{old_left} old and {new_left} new line(s)"
            raise DiffError(f"{where} is truncated: {missing} missing at the end of the diff")
        line = lines[i]
        tag = line[:1]
        text = line[1:-1] if line.endswith("\r") else line[1:]
        if tag == "+" and new_left:
            out.append(DiffLine(kind="added", old_no=None, new_no=new_no, text=text))
            new_no, new_left = new_no + 1, new_left - 1
        elif tag == "-" and old_left:
            out.append(DiffLine(kind="removed", old_no=old_no, new_no=None, text=text))
            old_no, old_left = old_no + 1, old_left - 1
        elif (tag == " " or line in ("", "\r")) and old_left and new_left:
            # An empty line is a context line whose leading space an editor trimmed.
            out.append(DiffLine(kind="context", old_no=old_no, new_no=new_no, text=text))
            old_no, new_no = old_no + 1, new_no + 1
            old_left, new_left = old_left - 1, new_left - 1
        elif tag != "\\":  # "\ No newline at end of file" belongs to the line before
            raise DiffError(f"{where} is truncated or does not match its header (line {i + 1})")
        i += 1
    return tuple(out), i


# --- paths ------------------------------------------------------------------------------


def _git_header_names(rest: str) -> tuple[str | None, str | None]:
    """The two names of `diff --git A B`, unquoted, prefixes kept."""
    if rest.startswith('"'):
        old, tail = _unquote(rest)
        tail = tail.removeprefix(" ")
        return old, _unquote(tail)[0] if tail.startswith('"') else tail
    if rest.endswith('"') and ' "' in rest:
        # An unquoted name never contains '"', so the first ' "' separates the names.
        old, _, tail = rest.partition(' "')
        return old, _unquote('"' + tail)[0]
    # Unquoted names may contain spaces; for an unrenamed file git writes "a/X b/X", so
    # the one split with equal halves after the prefixes is right. Renames and copies
    # are resolved from their own header lines.
    half = len(rest) // 2
    if len(rest) % 2 and rest[half] == " " and rest[2:half] == rest[half + 3 :]:
        return rest[:half], rest[half + 1 :]
    old, _, new = rest.partition(" ")
    return old, new or None


def _header_path(line: str) -> str:
    """The name on a ---/+++ line: quoted, or up to a tab (timestamps, git's space marker)."""
    value = line[4:].rstrip("\r")
    if value.startswith('"'):
        return _unquote(value)[0]
    return value.split("\t", 1)[0]


def _prefix_pair(old: str | None, new: str | None) -> tuple[str, str]:
    for src, dst in _PREFIX_PAIRS:
        old_ok = old is None or old == "/dev/null" or old.startswith(src)
        new_ok = new is None or new == "/dev/null" or new.startswith(dst)
        if old_ok and new_ok and not (old in (None, "/dev/null") and new in (None, "/dev/null")):
            return src, dst
    return "", ""


def _strip(name: str | None, prefix: str) -> str | None:
    if name is None or name == "/dev/null":
        return None
    return name.removeprefix(prefix)


def _unquote_name(value: str) -> str:
    return _unquote(value)[0] if value.startswith('"') else value


def _unquote(value: str) -> tuple[str, str]:
    """Decode git's C-style quoted name (octal bytes are UTF-8); return it and the rest."""
    out = bytearray()
    i = 1
    while i < len(value):
        char = value[i]
        if char == '"':
            return out.decode("utf-8", errors="replace"), value[i + 1 :]
        if char != "\\":
            out += char.encode("utf-8")
            i += 1
        elif value[i + 1 : i + 2] in _ESCAPES:
            out.append(_ESCAPES[value[i + 1]])
            i += 2
        elif len(value) >= i + 4 and set(value[i + 1 : i + 4]) <= _OCTAL:
            out.append(int(value[i + 1 : i + 4], 8) & 0xFF)
            i += 4
        else:
            raise DiffError(f"bad escape in quoted file name: {value[:80]!r}")
    raise DiffError(f"unterminated quoted file name: {value[:80]!r}")
