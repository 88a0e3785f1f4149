"""Costs of rendered diffs in bot.tokens units, computed without rendering them (pure).

A cost equals text_cost of the rendered text: a hunk's code is costed as one text, then each
line's `OLD NEW |M` columns are added by arithmetic on its kind, its numbers and the width.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.diff.render import digits, file_header, hunk_header, max_no
from bot.models import FileDiff, Hunk
from bot.tokens import SHARES, UNIT, text_cost, tokens_of

_RUNS = {"context": 6, "added": 4, "removed": 3}  # runs in the columns, besides a pad run
_DIGIT, _OTHER = SHARES["d"], SHARES["s"]  # byte shares in the columns
NEWLINE_UNITS = SHARES["n"]  # the empty line between blocks joins the newline before it
assert SHARES["p"] == _OTHER  # the columns are digits, spaces, "|" and the marker
# Where the columns meet the code a new run starts, unless the code's first character is of
# the class the columns end in (a space for context, "+"/"-" otherwise) or, after a space,
# a letter (" word" is one run).
_JOINS_AFTER_SPACE = {c for c in map(chr, range(128)) if c in " \t\r" or c.isalpha()}
_JOINS_AFTER_MARK = {c for c in map(chr, range(128)) if not (c.isalnum() or c in " \t\r\n")}


@dataclass(frozen=True, slots=True)
class HunkSize:
    hunk: Hunk
    base: int  # units: the code as one text, and the runs that do not depend on the width
    lines: int
    digits: int  # digits of all line numbers in the columns
    olds: tuple[int, int]  # (first, count) of the old line numbers, for pad runs
    max_no: int
    changed: int

    def cost(self, width: int) -> int:
        """Units of this hunk rendered with number columns `width` wide."""
        # An old number narrower than the column starts the line with a run of pad spaces
        # (an added line's blank old column is in _RUNS already).
        pads = self.olds[1] - _count_with_digits(*self.olds, width)
        other = self.lines * (2 * width + 4) - self.digits  # spaces, "|" and markers
        return self.base + pads * UNIT + self.digits * _DIGIT + other * _OTHER


def hunk_size(hunk: Hunk) -> HunkSize:
    texts = [ln.text for ln in hunk.lines]
    runs = changed = 0
    for ln in hunk.lines:
        kind, first = ln.kind, ln.text[:1]
        runs += _RUNS[kind]
        if kind == "context":
            runs += first not in _JOINS_AFTER_SPACE
        else:
            changed += 1
            runs += first not in _JOINS_AFTER_MARK
    # Joined, each non-empty code line starts a run after its newline; rendered, that run is
    # the join with the columns counted above.
    runs -= sum(1 for t in texts if t)
    joined = "\n".join([hunk_header(hunk), *texts, ""])
    olds = (hunk.old_start, hunk.old_len) if hunk.old_len else (1, 0)
    news = (hunk.new_start, hunk.new_len) if hunk.new_len else (1, 0)
    return HunkSize(
        hunk,
        base=text_cost(joined) + runs * UNIT,
        lines=len(texts),
        digits=_digit_total(*olds) + _digit_total(*news),
        olds=olds,
        max_no=max_no(hunk),
        changed=changed,
    )


def _count_with_digits(first: int, count: int, width: int) -> int:
    """How many of first .. first + count - 1 have exactly `width` digits."""
    low, high = max(first, int(10 ** (width - 1))), min(first + count - 1, int(10**width) - 1)
    return max(high - low + 1, 0)


def _digit_total(first: int, count: int) -> int:
    if not count:
        return 0
    low, high = len(str(first)), len(str(first + count - 1))
    return sum(k * _count_with_digits(first, count, k) for k in range(low, high + 1))


def prefix_units(kind: str, width: int) -> int:
    """At most what one line's columns add (pad run, widest numbers, a new run after)."""
    numbers = 2 if kind == "context" else 1
    shares = numbers * width * _DIGIT + (2 * width + 4 - numbers * width) * _OTHER
    return (_RUNS[kind] + 2) * UNIT + shares


@dataclass(frozen=True, slots=True)
class Piece:
    """A file, or one part of a split file, with an upper bound of its rendering's cost."""

    file: FileDiff  # carries only this piece's hunks
    part: str  # "part k/n", or "" for a whole file
    index: int  # k, or 0 for a whole file: orders the parts of one file
    units: int  # of render_file(file, part=part), in bot.tokens units
    changed: int

    @property
    def tokens(self) -> int:
        """Its estimate inside a chunk, counting the empty line that separates blocks."""
        return tokens_of(self.units + NEWLINE_UNITS)


def make_piece(
    file: FileDiff, sizes: Sequence[HunkSize], *, part: str = "", index: int = 0
) -> Piece:
    width = digits(max((s.max_no for s in sizes), default=1))
    units = text_cost(file_header(file, part) + "\n")
    units += sum(s.cost(width) for s in sizes)
    return Piece(file, part, index, units, sum(s.changed for s in sizes))
