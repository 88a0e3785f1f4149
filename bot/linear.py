"""Regular expressions that run in linear time (RE2) for text a pull request or a model wrote.

Python's `re` backtracks: one crafted line can make a pattern take minutes (a 40 KB line of
`-a-a-a…` kept an assignment pattern busy for 30 s, holding the GIL of the whole App). RE2
(google-re2) never backtracks, so a search costs time linear in the text. It has no
lookarounds and no backreferences: patterns here emulate a lookbehind by matching the
character before (outside the named group) and check what follows in Python.

One search is linear; a scan for all matches is linear too as long as deciding where a match
ends never needs to look far past it (a greedy run that stops at the match's own end is fine).

Text is matched as UTF-8 bytes by the wrapper's C object (its Python loop, and for str its
per-match offset table, cost several times more per match: a line can hold 100,000 matches);
offsets are converted back to str positions here, in one forward pass per scan.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import re2

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # JSON may carry them; UTF-8 cannot
_UNANCHORED = re2._Anchor.UNANCHORED


class Found:
    """One match: spans (str positions) of the whole match and of its named groups."""

    __slots__ = ("_names", "_spans", "text")

    def __init__(self, text: str, spans: list[tuple[int, int]], names: dict[str, int]) -> None:
        self.text = text
        self._spans = spans
        self._names = names

    def span(self, group: str | int = 0) -> tuple[int, int]:
        """(start, end) of `group`; (-1, -1) when it took no part in the match."""
        return self._spans[group if isinstance(group, int) else self._names[group]]

    def group(self, group: str | int = 0) -> str | None:
        start, end = self.span(group)
        return None if start < 0 else self.text[start:end]

    def text_of(self, group: str | int = 0) -> str:
        """The group's text, "" when it did not take part."""
        start, end = self.span(group)
        return self.text[start:end] if start >= 0 else ""

    @property
    def start(self) -> int:
        return self._spans[0][0]

    @property
    def end(self) -> int:
        return self._spans[0][1]

    def first_of(self, names: tuple[str, ...]) -> str | None:
        """The first of `names` that took part in the match (which alternative matched)."""
        return next((n for n in names if self._spans[self._names[n]][0] >= 0), None)


class LinearPattern:
    """An RE2 pattern with the few `re`-like methods the bot needs."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        compiled: Any = re2.compile(pattern)  # the public API validates and names the groups
        self._names: dict[str, int] = dict(compiled.groupindex)
        # The C object below it: the wrapper's own loop costs several times more per match.
        self._re: Any = compiled._regexp

    def finditer(self, text: str) -> Iterator[Found]:
        """Non-overlapping matches, left to right."""
        data, ascii_only = _encode(text)
        if ascii_only:
            for spans in self._scan(data, 0):
                yield Found(text, spans, self._names)
            return
        # Match offsets are UTF-8 byte positions; convert them going forward only.
        byte_at, char_at = 0, 0
        for spans in self._scan(data, 0):
            chars: dict[int, int] = {-1: -1}
            for pos in sorted({p for span in spans for p in span if p >= 0}):
                char_at += len(data[byte_at:pos].decode("utf-8"))
                byte_at = pos
                chars[pos] = char_at
            yield Found(text, [(chars[s], chars[e]) for s, e in spans], self._names)

    def search(self, text: str) -> Found | None:
        return next(self.finditer(text), None)

    def lines_with_match(self, lines: Sequence[str]) -> set[int]:
        """Indices of the lines with a match, in one pass over them joined by newlines.

        The pattern must not match a newline, except as the character before a line. After a
        hit the scan jumps to the next line: a line with a thousand matches costs as little as
        one with one.
        """
        data, ascii_only = _encode("\n".join(lines))
        if ascii_only:
            sizes: Iterable[int] = (len(line) + 1 for line in lines)
        else:  # byte lengths of the lines; the same text, so the same bytes
            sizes = (len(_encode(line)[0]) + 1 for line in lines)
        starts = list(itertools.accumulate(sizes, initial=0))
        found: set[int] = set()
        pos = 0
        while pos <= len(data):
            spans = self._re.Match(_UNANCHORED, data, pos, len(data))
            if spans[0][0] < 0:
                break
            # By its last character: a match may begin with the newline before its line.
            line = bisect.bisect_right(starts, max(spans[0][0], spans[0][1] - 1)) - 1
            found.add(line)
            pos = starts[line + 1]
        return found

    def _scan(self, data: bytes, pos: int) -> Iterator[list[tuple[int, int]]]:
        end = len(data)
        while pos <= end:
            spans: list[tuple[int, int]] = self._re.Match(_UNANCHORED, data, pos, end)
            if spans[0][0] < 0:
                return
            yield spans
            # An empty match: step over one character (a UTF-8 lead byte and its followers).
            pos = spans[0][1] if spans[0][1] > pos else _next_char(data, pos)


def _next_char(data: bytes, pos: int) -> int:
    pos += 1
    while pos < len(data) and 0x80 <= data[pos] < 0xC0:
        pos += 1
    return pos


def _encode(text: str) -> tuple[bytes, bool]:
    if text.isascii():
        return text.encode("ascii"), True
    try:
        return text.encode("utf-8"), False
    except UnicodeEncodeError:
        # A lone surrogate becomes U+FFFD: one character for one, so positions still agree.
        return _LONE_SURROGATE.sub("\ufffd", text).encode("utf-8"), False
