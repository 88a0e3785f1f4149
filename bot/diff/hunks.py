"""Hunks read by unidiff: line numbers, the counts headers promise, errors that say where."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

from unidiff.errors import UnidiffParseError
from unidiff.patch import Hunk as UniHunk
from unidiff.patch import PatchedFile, PatchSet

from bot.diff.names import header_name, prefix_pair, strip_prefix
from bot.errors import DiffError
from bot.models import DiffLine, Hunk

# bot.diff.parse reads git's own header lines; a git file's hunks go to unidiff under this header.
_NEUTRAL = ("--- a\n", "+++ b\n")
_HUNK_RE = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)")
_KINDS = {"+": "added", "-": "removed", " ": "context"}  # "" = blank lines after a hunk


def read_hunks(lines: list[str], i: int, end: int, path: str) -> tuple[tuple[Hunk, ...], int]:
    """Hunks of one file from lines[i:end] (starting at a hunk header), and where they end."""
    fed = [*_NEUTRAL, *lines[i:end]]
    base = i - len(_NEUTRAL)
    patched = patch_set(fed, base=base, path=path)[0]
    stop = check_hunk_ends(fed, patched, base=base, path=path)
    return convert(patched), base + stop


def patch_set(fed: list[str], *, base: int, path: str | None) -> PatchSet:
    """unidiff's parse of `fed`, whose line k (1-based) is line base + k of the input."""
    fed = [_defuse_binary_line(line) if line[:1] == "B" else line for line in fed]
    try:
        return PatchSet(fed)
    except UnidiffParseError as exc:
        raise _located(exc, fed, base=base, path=path) from None


def _defuse_binary_line(line: str) -> str:
    """unidiff's pattern for `Binary files A and B differ` backtracks quadratically on a
    line that starts so but never says "differ" (40 KB: seconds); such a line cannot match
    anyway, so a short one that cannot either takes its place (line numbers stay)."""
    if line.startswith("Binary file") and " differ" not in line and " has changed" not in line:
        return "Binary file\n"
    return line


def _located(exc: UnidiffParseError, fed: list[str], *, base: int, path: str | None) -> DiffError:
    """unidiff names no line; parse again, watching where it stops, to say where and why."""
    at = {"line": 0, "hunk": 0, "file": 0}

    def watched() -> Iterator[str]:
        for number, line in enumerate(fed, 1):
            at["line"] = number
            if line.startswith("@@ "):
                at["hunk"] = number
            elif line.startswith("+++ ") and number > 1 and fed[number - 2].startswith("--- "):
                at["file"] = number
            yield line

    with contextlib.suppress(UnidiffParseError):
        PatchSet(watched())
    if path is None:  # a plain diff: the file whose header came last
        old, new = (header_name(fed[at["file"] - k][4:]) for k in (2, 1))
        src, dst = prefix_pair(old, new)
        path = strip_prefix(new, dst) or strip_prefix(old, src) or old
    line, where = base + at["line"], f"{path}: hunk at line {base + at['hunk']}"
    reason = str(exc)
    if reason.startswith("Hunk is shorter"):
        return DiffError(f"{where} is truncated: the diff ends before the lines its header counts")
    if reason.startswith(("Hunk diff line expected", "Hunk is longer")):
        return DiffError(f"{where} is truncated or does not match its header (line {line})")
    if reason.startswith("Unexpected hunk"):
        return DiffError(f"{path}: line {line}: hunk header after lines that belong to no hunk")
    return DiffError(f"{path}: line {line}: {reason.splitlines()[0][:120]}")


def check_hunk_ends(fed: list[str], patched: PatchedFile, *, base: int, path: str) -> int:
    """unidiff leaves lines after a complete hunk to whoever comes next; a line shaped like
    hunk content there means the header undercounted, and a bad "@@" line is no hunk."""
    stop = 0
    for hunk in patched:
        stop = max((ln.diff_line_no or 0) for ln in hunk)  # 1-based: fed[stop] comes next
        while stop < len(fed) and fed[stop].startswith("\\"):
            stop += 1
        if stop >= len(fed):
            break
        after = fed[stop]
        if after.startswith("@@ ") and not _HUNK_RE.match(after.rstrip("\r\n")):
            raise DiffError(f"{path}: malformed hunk header at line {base + stop + 1}")
        if after[:1] in ("+", " ") or (after[:1] == "-" and not after.startswith(("--- ", "-- "))):
            raise DiffError(
                f"{path}: line {base + stop + 1} continues a hunk past the length its header gives"
            )
    return stop


def convert(patched: PatchedFile) -> tuple[Hunk, ...]:
    return tuple(_convert_hunk(hunk) for hunk in patched)


def _convert_hunk(hunk: UniHunk) -> Hunk:
    """unidiff's hunk as ours: "\\ No newline" markers dropped, line terminators removed."""
    out: list[DiffLine] = []
    for ln in hunk:
        kind = _KINDS.get(ln.line_type)
        if kind is None:  # "\ No newline at end of file" belongs to the line before
            continue
        text = ln.value
        if text.endswith("\n"):
            text = text[:-2] if text.endswith("\r\n") else text[:-1]
        elif text.endswith("\r"):
            text = text[:-1]
        out.append(DiffLine(kind, ln.source_line_no, ln.target_line_no, text))  # type: ignore[arg-type]
    return Hunk(
        old_start=hunk.source_start,
        old_len=hunk.source_length,
        new_start=hunk.target_start,
        new_len=hunk.target_length,
        section=hunk.section_header.strip(),
        lines=tuple(out),
    )
