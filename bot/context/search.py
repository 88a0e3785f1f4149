"""Searching the snapshot's text for the model's tools: literal or RE2, line by line, redacted.

Patterns come from a model that reads untrusted text, so a regular expression runs on RE2
(google-re2): linear in the text, no backreferences or lookaround, so no pattern can hang
the process. A match counts only when it is still there once the line is redacted: a
search can never tell where a secret is, or what it holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import re2

from bot.context.index import Redacted, SymbolIndex

MAX_SEARCH_BYTES = 64_000_000  # text held for searching; files past it are not searched
MAX_COUNTED = 10_000  # matching lines counted past the shown ones, then "at least"


class PatternError(ValueError):
    """RE2 refuses the pattern (a syntax it lacks, a repetition too large)."""


@dataclass(frozen=True)
class Match:
    path: str
    line: int  # 1-based
    text: str  # the line, redacted


def compile_pattern(pattern: str) -> re2._Regexp:
    """`pattern` compiled by RE2, matching within one line; PatternError when refused."""
    options = re2.Options()
    options.log_errors = False  # a refusal is the model's result, not our stderr
    options.never_nl = True  # a match never spans lines: results are lines
    options.max_mem = 8 << 20  # bounds the compiled program: a huge pattern is refused
    try:
        compiled = re2.compile(pattern, options=options)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "refused"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise PatternError(str(reason)) from None
    if compiled.search("") is not None:
        # It would match every line (and every position of every line).
        raise PatternError("it matches an empty line, so it would match every line")
    return compiled


class TextSearch:
    """The snapshot's text files, read on first use and kept for the run, nearest to the
    change first; searched literally or by RE2 one line at a time."""

    def __init__(self, index: SymbolIndex, paths: Sequence[str], *, max_bytes: int) -> None:
        self._index = index
        self._order = sorted(paths, key=lambda p: (-index.nearness(p), p))
        self._max_bytes = max_bytes
        self._texts: dict[str, str] | None = None
        self.unread = 0  # text files left out because the held text reached max_bytes

    def _loaded(self) -> dict[str, str]:
        if self._texts is None:
            texts: dict[str, str] = {}
            used = 0
            for path in self._order:
                text = self._index.read(path)
                if text is None:
                    continue  # binary, too large, or not a regular file
                if used + len(text) > self._max_bytes:
                    self.unread += 1
                    continue
                used += len(text)
                texts[path] = text
            self._texts = texts
        return self._texts

    def search(self, pattern: str, *, regex: bool, keep: Callable[[str], bool]) -> Iterator[Match]:
        """Lines matching `pattern` in files whose path `keep` accepts, nearest files first;
        only lines that still match once redacted."""
        if regex:
            compiled = compile_pattern(pattern)
            found, test = _regex_lines(compiled), _regex_test(compiled)
        else:
            found, test = _literal_lines(pattern), _literal_test(pattern)
        for path, text in self._loaded().items():
            if not keep(path):
                continue
            numbers = found(text)
            if not numbers:
                continue
            lines = self._index.redacted_lines(path, False)
            if lines is None:
                continue
            numbers = [n for n in numbers if n <= len(lines)]
            for n, line in zip(numbers, _redacted(lines, numbers), strict=True):
                if test(line):
                    yield Match(path, n, line)


def _redacted(lines: Sequence[str], numbers: Sequence[int]) -> list[str]:
    """Lines `numbers` (1-based) as the model may see them, redacted in one pass."""
    if isinstance(lines, Redacted):
        return lines.pick([n - 1 for n in numbers])
    return [lines[n - 1] for n in numbers]


def _literal_lines(needle: str) -> Callable[[str], list[int]]:
    def lines(text: str) -> list[int]:
        if not needle or needle not in text:
            return []
        out: list[int] = []
        start, line, counted = 0, 1, 0
        while (at := text.find(needle, start)) >= 0:
            line += text.count("\n", counted, at)
            counted = at
            if not out or out[-1] != line:
                out.append(line)
            end = text.find("\n", at)
            if end < 0:
                break
            start = end  # the rest of a matching line adds nothing
        return out

    return lines


def _regex_lines(pattern: re2._Regexp) -> Callable[[str], list[int]]:
    def lines(text: str) -> list[int]:
        if pattern.search(text) is None:
            return []
        out: list[int] = []
        line, counted = 1, 0
        for match in pattern.finditer(text):
            at = match.start()
            line += text.count("\n", counted, at)
            counted = at
            if not out or out[-1] != line:
                out.append(line)
        return out

    return lines


def _literal_test(needle: str) -> Callable[[str], bool]:
    return lambda line: needle in line


def _regex_test(pattern: re2._Regexp) -> Callable[[str], bool]:
    return lambda line: pattern.search(line) is not None
