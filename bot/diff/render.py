"""Render diffs for the model: every line with its old and new line numbers (pure).

Format (one block per file; RENDER_FORMAT_HELP explains it to the model)::

    ### File: src/app.py (renamed from src/old.py, part 2/3)
    @@ -10,3 +10,4 @@ def handler():
    10 10 | unchanged line
    11    |-removed line
       11 |+added line

Columns: old-file number (blank for added lines), new-file number (blank for removed lines),
both right-aligned to the block's widest number, then `|`, the marker (+, -, space) and the
code. The status may add "mode A -> B" and "part k/n"; a chunk joins its blocks with one
empty line. bot.plan.chunking bounds each chunk's cost from this exact format without rendering
it, so a chunk's estimate is at least
prefix + CHUNK_OVERHEAD_TOKENS + estimate_tokens(render_chunk(chunk)).
"""

from __future__ import annotations

import re

from bot.models import Chunk, FileDiff, Hunk

RENDER_FORMAT_HELP = (
    "Each file starts with `### File: PATH (STATUS)`; a file split across requests adds "
    "`part K/N`, and each hunk starts with `@@ -OLD,LEN +NEW,LEN @@`.\n"
    "Every diff line reads `OLD NEW |` then a marker and the code: OLD is the line number in "
    "the old file (blank for added lines), NEW the number in the new file (blank for removed "
    "lines).\n"
    "The marker is `+` for an added line, `-` for a removed line and a space for unchanged "
    "context.\n"
    "Cite NEW numbers for added and context lines (side RIGHT), OLD numbers only for removed "
    "lines (side LEFT)."
)
MARKERS = {"added": "+", "removed": "-", "context": " "}
# Characters that end or break a line somewhere (Python's splitlines, terminals, editors).
_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_QUOTED = re.compile(r'[\x00-\x1f\x7f-\x9f\u2028\u2029"\\]')  # … and what quoting escapes
_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r", '"': '\\"', "\\": "\\\\"}


def render_file(file: FileDiff, *, part: str | None = None) -> str:
    """The model-facing text of `file` (for a piece, its hunks only); ends with a newline."""
    width = digits(max((max_no(h) for h in file.hunks), default=1))
    out = [file_header(file, part)]
    for hunk in file.hunks:
        out.append(hunk_header(hunk))
        for ln in hunk.lines:
            old = "" if ln.old_no is None else ln.old_no
            new = "" if ln.new_no is None else ln.new_no
            out.append(f"{old:>{width}} {new:>{width}} |{MARKERS[ln.kind]}{ln.text}")
    out.append("")
    return "\n".join(out)


def render_chunk(chunk: Chunk) -> str:
    """The diff text of one request: its file blocks, sorted by path, one empty line apart."""
    return "\n".join(render_file(f, part=p) for f, p in zip(chunk.files, chunk.parts, strict=True))


def file_header(file: FileDiff, part: str | None) -> str:
    """`### File: PATH (STATUS, …)`: status, old path, mode change, binary, part label."""
    status = file.status
    old = shown_old_name(file)
    renamed = old and status in ("renamed", "copied")
    notes = [f"{status} from {old}" if renamed else status]
    if file.old_mode and file.new_mode and file.old_mode != file.new_mode:
        notes.append(f"mode {file.old_mode} -> {file.new_mode}")
    if file.binary:
        notes.append("binary")
    if part:
        notes.append(part)
    return f"### File: {shown_name(file)} ({', '.join(notes)})"


def hunk_header(hunk: Hunk) -> str:
    """`@@ -OLD,LEN +NEW,LEN @@ SECTION`."""
    head = f"@@ -{hunk.old_start},{hunk.old_len} +{hunk.new_start},{hunk.new_len} @@"
    return f"{head} {hunk.section}" if hunk.section else head


def digits(number: int) -> int:
    """Width of a line-number column that holds `number`."""
    return len(str(number))


def max_no(hunk: Hunk) -> int:
    """The largest line number in `hunk`."""
    # Numbers grow through a hunk, so the last ones are the largest.
    old = new = 0
    for ln in reversed(hunk.lines):
        if not old and ln.old_no is not None:
            old = ln.old_no
        if not new and ln.new_no is not None:
            new = ln.new_no
        if old and new:
            break
    return max(old, new, 1)


def shown_name(file: FileDiff) -> str:
    """The file's name as the model sees it: redacted (bot.secrets) and escaped."""
    return escape_name(file.shown_path or file.path)


def shown_old_name(file: FileDiff) -> str | None:
    name = file.shown_old_path or file.old_path
    return None if name is None else escape_name(name)


def escape_name(name: str) -> str:
    """`name`, or, when it holds a line break or another control character, the name in
    double quotes with C-style escapes (as git quotes such names), so it stays on its line."""
    if not _BREAKS.search(name):
        return name
    return '"' + _QUOTED.sub(_escape, name) + '"'


def _escape(m: re.Match[str]) -> str:
    char = m.group()
    if char in _ESCAPES:
        return _ESCAPES[char]
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"
