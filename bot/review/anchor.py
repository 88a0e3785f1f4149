"""Pin each finding to a line GitHub accepts a review comment on, or set it aside."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.diff.parse import build_line_map
from bot.diff.render import shown_name, shown_old_name
from bot.models import FileDiff, Finding, LineMap, Side

# Rules (GitHub REST docs, "Create a review for a pull request": comments take `line`,
# `side`, `start_line`, `start_side`): one bad comment makes GitHub reject the whole
# review with a 422, so every anchored finding here must be valid:
# - RIGHT = a new-file line of an added/context line; LEFT = an old-file line of a
#   removed/context line; `start_line` in the same hunk, on the same side, before `line`.
# - A finding whose quoted `code` sits a few lines away from the cited line is snapped
#   there; one we cannot place is returned unanchored, as the model gave it.
# - Suggestions only on RIGHT ranges inside one hunk, and never a no-op.

# Model text (quotes) and PR text (lines) meet here: every pattern and scan is linear.
_PLACEHOLDER = re.compile(r"\[REDACTED:[^\][]*\]")
_MIN_PARTIAL = 8  # a shorter quote contained in a line proves nothing ("x = 1")
_MIN_TELLING = 3  # "}", ")", "end" say nothing about where a block is


@dataclass(frozen=True)
class FileLines:
    """One file's commentable lines and their text, per side."""

    file: FileDiff
    line_map: LineMap
    right_text: dict[int, str]
    left_text: dict[int, str]

    def hunks(self, side: Side) -> dict[int, int]:
        return self.line_map.right if side == "RIGHT" else self.line_map.left

    def texts(self, side: Side) -> dict[int, str]:
        return self.right_text if side == "RIGHT" else self.left_text


def build_file_lines(file: FileDiff) -> FileLines:
    """The line map of `file` plus the text of every commentable line on each side."""
    right: dict[int, str] = {}
    left: dict[int, str] = {}
    for hunk in file.hunks:
        for ln in hunk.lines:
            if ln.new_no is not None:
                right[ln.new_no] = ln.text
            if ln.old_no is not None:
                left[ln.old_no] = ln.text
    return FileLines(file=file, line_map=build_line_map(file), right_text=right, left_text=left)


def normalize_path(path: str) -> str:
    """Drop the prefixes models copy from diff headers ("./", "a/", "b/", "/")."""
    path = path.strip()
    while path.startswith("./"):
        path = path[2:]
    if path[:2] in ("a/", "b/"):
        path = path[2:]
    return path.lstrip("/")


def index_files(files: Sequence[FileDiff]) -> dict[str, FileLines]:
    """Path -> FileLines for every file; old paths of renames resolve to the new file."""
    index: dict[str, FileLines] = {}
    for file in files:
        index[file.path] = build_file_lines(file)
    for file in files:
        # Names the model was shown instead (redacted or escaped, bot.diff.render) lead back.
        for alias in (file.old_path, shown_name(file), shown_old_name(file)):
            if alias and alias not in index:
                index[alias] = index[file.path]
    return index


def restore_paths(findings: Sequence[Finding], shown: Sequence[FileDiff]) -> list[Finding]:
    """Findings citing a file by the name the model was shown (a secret in it redacted),
    with the file's real name back, so they anchor to it."""
    real: dict[str, str] = {}
    for file in shown:
        for name, path in ((shown_name(file), file.path), (shown_old_name(file), file.old_path)):
            if name and path and name != path:
                real.setdefault(name, path)
                real.setdefault(normalize_path(name), path)
    if not real:
        return list(findings)
    return [f.model_copy(update={"path": real[f.path]}) if f.path in real else f for f in findings]


def find_file(path: str, index: dict[str, FileLines]) -> FileLines | None:
    """Exact path first (a repo may really have a directory named "a"), then normalised."""
    return index.get(path) or index.get(normalize_path(path))


def _squash(text: str) -> str:
    return "".join(text.split())


def quote_lines(code: str) -> list[str]:
    """The quoted code's non-blank lines, whitespace and trailing ellipses removed."""
    return [sq for sq in (_squash(_drop_ellipses(ln.rstrip())) for ln in code.splitlines()) if sq]


def _drop_ellipses(line: str) -> str:
    while line.endswith(("...", "…")):
        line = line[:-3] if line.endswith("...") else line[:-1]
    return line


def line_matches(text: str, quote: str) -> int:
    """2 = same code (whitespace ignored), 1 = one clearly contains the other, 0 = no."""
    line = _squash(text)
    if not line:
        return 0
    if _PLACEHOLDER.search(quote):
        # Secrets were redacted before the model saw them: a placeholder stands for any text.
        return 2 if _fills(_PLACEHOLDER.split(quote), line) else 0
    if line == quote:
        return 2
    shorter = min(len(line), len(quote))
    if shorter >= _MIN_PARTIAL and (quote in line or line in quote):
        return 1
    return 0


def _fills(parts: list[str], line: str) -> bool:
    """Whether `line` is parts[0] + X + parts[1] + X + … + parts[-1], each X non-empty.

    Placing each part as far left as it fits is enough, and linear: a regex of `.+?` joins
    (the model writes the quote, the PR the line) backtracks combinatorially.
    """
    first, *middle, last = parts
    if not line.startswith(first):
        return False
    pos = len(first)
    for part in middle:
        found = line.find(part, pos + 1)  # one character at least for the placeholder
        if found < 0:
            return False
        pos = found + len(part)
    return len(line) - len(last) > pos and line.endswith(last)


def _score(fl: FileLines, side: Side, end: int, start: int | None, quotes: list[str]) -> int:
    """How well the code at end (and start) matches the quote; 0 if `end` is no line."""
    texts = fl.texts(side)
    if end not in fl.hunks(side):
        return 0
    if start is None or len(quotes) == 1:
        # A one-line comment may cite any line of a quoted block; a one-line quote may
        # stand for either end of a range. Lines like "}" would match anywhere: skip them.
        telling = [q for q in quotes if len(q) >= _MIN_TELLING] or quotes
        targets = [texts[end]] + ([texts[start]] if start in texts else [])
        return max(line_matches(t, q) for t in targets for q in telling)
    score = line_matches(texts[end], quotes[-1])
    if score and start in texts:
        score = min(score, max(1, line_matches(texts[start], quotes[0])))
    return score


def _offsets(max_snap: int) -> list[int]:
    return [0] + [d for k in range(1, max_snap + 1) for d in (-k, k)]


def _snap(finding: Finding, fl: FileLines, start: int | None, *, max_snap: int) -> int | None:
    """The offset to move the finding by, or None when it cannot be placed."""
    quotes = quote_lines(finding.code)
    if not quotes:
        return 0 if finding.line in fl.hunks(finding.side) else None
    best: tuple[int, int] | None = None  # (score, -distance)
    best_offset = None
    for d in _offsets(max_snap):
        moved = None if start is None else start + d
        score = _score(fl, finding.side, finding.line + d, moved, quotes)
        if score and (best is None or (score, -abs(d)) > best):
            best, best_offset = (score, -abs(d)), d
    return best_offset


def _valid_range(fl: FileLines, side: Side, start: int | None, end: int) -> bool:
    hunks = fl.hunks(side)
    return start is not None and start < end and start in hunks and hunks[start] == hunks[end]


def _suggestion(fl: FileLines, f: Finding, start: int | None, end: int) -> str | None:
    if f.suggestion is None or f.side != "RIGHT":
        return None
    first = start if start is not None else end
    hunk = fl.line_map.right.get(end)
    if any(fl.line_map.right.get(n) != hunk for n in range(first, end + 1)):
        return None
    current = "\n".join(fl.right_text[n] for n in range(first, end + 1))
    if f.suggestion.rstrip("\r\n") == current:
        return None  # "replace this with itself" is noise
    return f.suggestion


def anchor_finding(
    finding: Finding, index: dict[str, FileLines], *, max_snap: int = 3
) -> Finding | None:
    """The finding moved onto a valid line (see module rules), or None if it cannot be."""
    fl = find_file(finding.path, index)
    if fl is None or finding.line < 1:
        return None
    start, end = finding.start_line, finding.line
    if start is not None and start > end:
        start, end = end, start  # the model wrote the range backwards
        finding = finding.model_copy(update={"line": end})
    if start == end:
        start = None
    offset = _snap(finding, fl, start, max_snap=max_snap)
    if offset is None:
        return None
    end += offset
    if start is not None:
        start += offset
        if not _valid_range(fl, finding.side, start, end):
            # A range across hunks (or off the diff) would earn a 422: keep the one line
            # we are sure of, and drop the suggestion written for the whole range.
            start = None
            finding = finding.model_copy(update={"suggestion": None})
    return finding.model_copy(
        update={
            "path": fl.file.path,
            "line": end,
            "start_line": start,
            "suggestion": _suggestion(fl, finding, start, end),
        }
    )


def anchor_findings(
    findings: Sequence[Finding], files: Sequence[FileDiff], *, max_snap: int = 3
) -> tuple[tuple[Finding, ...], tuple[Finding, ...]]:
    """Split findings into (anchored, unanchored). `files` is the PR's full diff."""
    index = index_files(files)
    anchored: list[Finding] = []
    unanchored: list[Finding] = []
    for finding in findings:
        placed = anchor_finding(finding, index, max_snap=max_snap)
        if placed is not None:
            anchored.append(placed)
            continue
        fl = find_file(finding.path, index)
        unanchored.append(
            finding if fl is None else finding.model_copy(update={"path": fl.file.path})
        )
    return tuple(anchored), tuple(unanchored)
