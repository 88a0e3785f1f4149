"""Secrets known by their name: `NAME = value`, `--name value`, cookie headers (linear scans).

An assignment is found as its name and operator alone (RE2, bot.linear); the value after it
is read here. So an assignment inside another one's value is still seen (`run: API_TOKEN=…`,
`?api_key=…&…`, `"…;AccountKey=…"`), and no value is read twice in full: each unquoted run
and each quoted string is located once, and at most a few names ending in the same run have
their value judged (a crafted `token=token=token=…` line stays linear).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

from bot.linear import LinearPattern
from bot.secrets.formats import Hit
from bot.secrets.rules import NAME_WORDS, literal_kind, looks_secret, secret_name_kind

_WORDS = "|".join(NAME_WORDS)
_NAME_OP = LinearPattern(
    rf"(?P<name>(?:[A-Za-z_][\w.-]*)?(?i:{_WORDS})[\w.-]*)[\"']?\]?\s*"
    r"(?::\s*[A-Za-z_][\w.\[\]|, ]*\s*=|:=|=>|=|:)"  # `token: str = "…"` or an operator
)
_FLAG = LinearPattern(
    rf"(?:^|\s)--?(?P<name>[\w-]*(?i:{_WORDS})[\w-]*)(?:=|[ \t]+)"
    r"(?P<value>\"[^\"\n]*\"|'[^'\n]*'|[^\s\"'`;&|-][^\s\"'`;&|]*)"
)
_COOKIE = LinearPattern(
    r"(?:^|[^\w-])(?i:set-cookie|cookie)[\"']?[ \t]*[:=][ \t]*[\"']?(?P<pairs>[^\n\"'`]+)"
)
_COOKIE_ATTRIBUTES = frozenset(
    ("path", "domain", "expires", "max-age", "samesite", "secure", "httponly", "priority")
)
_SPACES = re.compile(r"\s*")
_BARE_END = re.compile(r"[\s'\"`,;#]")
_QUERY_END = re.compile(r"[\s'\"`,;#&]")  # a URL query value also ends at '&'
_QUOTES = re.compile(r"[\"'`]")
_JUDGED_PER_RUN = 4


def find_named(text: str, low: str, *, bare_values: bool) -> Iterator[Hit]:
    """Cookie values, secret-named options and assignments on the line (`low`: lowercased)."""
    if "cookie" in low:
        yield from _cookies(text)
    for m in _FLAG.finditer(text) if "-" in text else ():
        kind = secret_name_kind(m.text_of("name"))
        value = m.text_of("value")
        quoted = value[:1] in "\"'" and len(value) >= 2
        inner = value[1:-1] if quoted else value
        if kind and literal_kind(kind, inner, name=m.text_of("name"), quoted=quoted, bare_ok=True):
            start, end = m.span("value")
            yield (start + 1, end - 1, kind) if quoted else (start, end, kind)
    yield from _Assignments(text, bare_values=bare_values).hits()


def _cookies(text: str) -> Iterator[Hit]:
    for m in _COOKIE.finditer(text):
        pos = m.span("pairs")[0]
        for pair in m.text_of("pairs").split(";"):
            name, eq, value = pair.partition("=")
            start = pos + len(name) + 1
            pos += len(pair) + 1
            stripped = value.strip()
            if not eq or name.strip().lower() in _COOKIE_ATTRIBUTES:
                continue
            start += len(value) - len(value.lstrip())
            if looks_secret(stripped, name=name.strip()):
                yield start, start + len(stripped), "cookie"


class _Assignments:
    """One line's assignments; remembers where runs and strings end so none is read twice."""

    def __init__(self, text: str, *, bare_values: bool) -> None:
        self.text = text
        self.bare_values = bare_values
        self._run_end: dict[re.Pattern[str], tuple[int, int]] = {}  # pattern -> (from, end)
        self._quote_end: dict[str, tuple[int, int]] = {}
        self._judged: dict[int, int] = {}  # value end -> values judged there
        self._strings: tuple[list[int], list[int]] | None = None  # starts, ends

    def hits(self) -> Iterator[Hit]:
        text = self.text
        covered = 0  # end of the last secret value: names inside it are part of the secret
        for m in _NAME_OP.finditer(text):
            start, end = m.span("name")
            if start < covered or (text[m.end - 1] == "=" and text[m.end : m.end + 1] == "="):
                continue  # `a == b` is a comparison
            name = text[start:end]
            kind = secret_name_kind(name)
            if kind is None:
                continue
            query = start > 0 and text[start - 1] in "?&"
            value = self._value(m.end, query=query)
            if value is None:
                continue
            v_start, v_end, quoted = value
            if self._judged.get(v_end, 0) >= _JUDGED_PER_RUN:
                continue
            self._judged[v_end] = self._judged.get(v_end, 0) + 1
            inner = (v_start + 1, v_end - 1) if quoted else (v_start, v_end)
            bare_ok = self.bare_values or self._in_string(start)
            literal = text[inner[0] : inner[1]]
            if literal_kind(kind, literal, name=name, quoted=quoted, bare_ok=bare_ok):
                covered = v_end
                yield inner[0], inner[1], kind

    def _value(self, pos: int, *, query: bool) -> tuple[int, int, bool] | None:
        """(start, end, quoted) of the value after an operator ending at `pos`."""
        text = self.text
        space = _SPACES.match(text, pos)
        start = space.end() if space else pos
        if start >= len(text):
            return None
        quote = text[start]
        if quote in "\"'`":
            close = self._find_quote(quote, start + 1)
            return (start, close + 1, True) if close >= 0 else None
        end = self._find_end(_QUERY_END if query else _BARE_END, start)
        return (start, end, False) if end > start else None

    def _find_end(self, pattern: re.Pattern[str], pos: int) -> int:
        """Where the unquoted run at `pos` ends (cached: runs share their end)."""
        known = self._run_end.get(pattern)
        if known and known[0] <= pos <= known[1]:
            return known[1]
        m = pattern.search(self.text, pos)
        end = m.start() if m else len(self.text)
        self._run_end[pattern] = (pos, end)
        return end

    def _find_quote(self, quote: str, pos: int) -> int:
        known = self._quote_end.get(quote)
        if known and known[0] <= pos and (pos <= known[1] or known[1] < 0):
            return known[1]
        end = self.text.find(quote, pos)
        self._quote_end[quote] = (pos, end)
        return end

    def _in_string(self, pos: int) -> bool:
        """Whether `pos` lies inside a string literal (an unquoted value there is a literal)."""
        if self._strings is None:
            spans = string_spans(self.text)
            self._strings = [s for s, _ in spans], [e for _, e in spans]
        starts, ends = self._strings
        i = bisect.bisect_left(starts, pos) - 1
        return i >= 0 and pos < ends[i]


def string_spans(text: str) -> list[tuple[int, int]]:
    """The line's string literals as (opening quote, after the closing quote), left to right.

    A quote escaped with a backslash does not close; an unclosed string runs to the end.
    """
    spans: list[tuple[int, int]] = []
    pos = 0
    while (m := _QUOTES.search(text, pos)) is not None:
        quote, start = m.group(), m.start()
        end = text.find(quote, start + 1)
        while end > 0 and _escaped(text, end):
            end = text.find(quote, end + 1)
        if end < 0:
            spans.append((start, len(text)))
            break
        spans.append((start, end + 1))
        pos = end + 1
    return spans


def _escaped(text: str, pos: int) -> bool:
    backslashes = 0
    while pos - backslashes > 0 and text[pos - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1
