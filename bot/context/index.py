"""The symbol index of one snapshot, built lazily: files are parsed only when asked about.

Finding a name's definitions does not parse the repository: one pass of cheap per-language
patterns over the text (see languages.defined_names) lists the files whose lines look like
they define it, and only those are parsed. Uses of a name are found by a substring search
first. Every parse is kept for the run, so chunks of one review share the work.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import overload

from bot.context.languages import defined_names, family_of, language_of
from bot.context.snapshot import Snapshot, split_lines
from bot.context.symbols import Definition, FileSymbols, indexable, parse_symbols
from bot.models import DiffLine, FileDiff, Hunk
from bot.secrets.redact import redact_files

MAX_INDEX_BYTES = 64_000_000  # source text read per language family; nearest files first
MAX_DEFINERS = 8  # files parsed for one name: a name defined in more is ambiguous anyway
MAX_USING_FILES = 24  # files searched for uses of one name


class SymbolIndex:
    """Symbols of one snapshot, computed on demand and kept for the run."""

    def __init__(
        self,
        snapshot: Snapshot,
        *,
        changed: Sequence[FileDiff] = (),
        max_bytes: int = MAX_INDEX_BYTES,
    ) -> None:
        """`changed`: the PR's files, whole: what counts as near, and how unchanged lines of
        the base and the head correspond."""
        self._snapshot = snapshot
        self.nearness = Nearness(f.path for f in changed)
        self.twin = Twins(changed)
        self._max_bytes = max_bytes
        self._head: dict[str, FileSymbols | None] = {}
        self._base: dict[str, FileSymbols | None] = {}
        self._texts: dict[str, str] = {}  # indexable files read so far
        self._families: dict[str, list[str]] = {}  # family -> indexable paths, nearest first
        self._definers: dict[str, dict[str, list[str]]] = {}
        self._redacted: dict[tuple[str, bool], Redacted | None] = {}

    def read(self, path: str) -> str | None:
        """`path`'s text at the head."""
        text = self._texts.get(path)
        return text if text is not None else self._snapshot.read(path)

    def redacted_lines(self, path: str, base: bool) -> Sequence[str] | None:
        """The lines of `path` (at the base when `base`) as the model may see them: secrets
        redacted by the same rules as the diff's."""
        key = (path, base)
        if key not in self._redacted:
            text = self._snapshot.read_base(path) if base else self.read(path)
            self._redacted[key] = None if text is None else Redacted(path, text)
        return self._redacted[key]

    def head(self, path: str) -> FileSymbols | None:
        """`path` at the head, parsed; None when absent or unreadable."""
        if path not in self._head:
            self._head[path] = parse_symbols(path, self.read(path))
        return self._head[path]

    def base(self, path: str) -> FileSymbols | None:
        """`path` at the base of the review, parsed, when the snapshot knows the base."""
        if path not in self._base:
            self._base[path] = parse_symbols(path, self._snapshot.read_base(path))
        return self._base[path]

    def definitions(self, name: str, language: str) -> tuple[list[Definition], int]:
        """Definitions of `name` in files of `language`'s family, nearest files first, and in
        how many files: when over MAX_DEFINERS look like they define it, none are parsed."""
        paths = self._definers_of(family_of(language)).get(name, [])
        if len(paths) > MAX_DEFINERS:
            return [], len(paths)  # too common to be worth parsing them: `get`, `run`, `name`
        found: list[Definition] = []
        for path in paths:
            symbols = self.head(path)
            if symbols is not None:
                found += [d for d in symbols.definitions if d.name == name]
        return found, len({d.path for d in found})

    def files_using(self, name: str, language: str) -> list[str]:
        """Files of `language`'s family whose text has `name` as a word, nearest first."""
        word = re.compile(r"(?<![\w$])" + re.escape(name) + r"(?![\w$])")
        out = []
        for path in self._family_paths(family_of(language)):
            text = self._texts[path]
            if name in text and word.search(text):
                out.append(path)
                if len(out) >= MAX_USING_FILES:
                    break
        return out

    def _definers_of(self, family: str) -> dict[str, list[str]]:
        if family not in self._definers:
            found: dict[str, list[str]] = {}
            for path in self._family_paths(family):
                for name in defined_names(language_of(path) or "", self._texts[path]):
                    found.setdefault(name, []).append(path)
            self._definers[family] = found
        return self._definers[family]

    def _family_paths(self, family: str) -> list[str]:
        """The indexable files of one language family, nearest to the changed files first,
        read on first use (a Python change never reads the JavaScript), up to the cap."""
        if family not in self._families:
            paths = [
                p
                for p in self._snapshot.paths()
                if family_of(language_of(p) or "") == family and language_of(p) is not None
            ]
            kept: list[str] = []
            used = 0
            for path in sorted(paths, key=lambda p: (-self.nearness(p), p)):
                text = self._snapshot.read(path)
                if text is None or not indexable(path, text):
                    continue
                used += len(text)
                if used > self._max_bytes:
                    break
                self._texts[path] = text
                kept.append(path)
            self._families[family] = kept
        return self._families[family]


class Twins:
    """The same unchanged line on the other side of the diff: base line 10 is head line 12
    after two lines were added above it. Lines inside a hunk have no twin (the diff shows
    them anyway)."""

    def __init__(self, files: Iterable[FileDiff]) -> None:
        # Per (path, side): hunks as (first line, length, offset for the lines after it).
        self._hunks: dict[tuple[str, bool], list[tuple[int, int, int]]] = {}
        self._other: dict[tuple[str, bool], str] = {}
        for f in files:
            old = f.old_path or f.path
            self._other[(old, True)], self._other[(f.path, False)] = f.path, old
            sides = [(h.old_start, h.old_len, h.new_start, h.new_len) for h in f.hunks]
            self._hunks[(old, True)] = [
                (o, ol, _after(n, nl) - _after(o, ol)) for o, ol, n, nl in sides
            ]
            self._hunks[(f.path, False)] = [
                (n, nl, _after(o, ol) - _after(n, nl)) for o, ol, n, nl in sides
            ]

    def __call__(self, path: str, base: bool, line: int) -> tuple[str, bool, int] | None:
        hunks = self._hunks.get((path, base))
        if hunks is None:
            return (path, not base, line)  # a file the PR leaves alone is the same on both
        offset = 0
        for first, length, after in hunks:
            if line < first or (not length and line == first):
                break
            if line < first + length:
                return None
            offset = after
        return (self._other[(path, base)], not base, line + offset)


def _after(start: int, length: int) -> int:
    """The first line after a hunk's range (git writes an empty range as the line before)."""
    return start + length if length else start + 1


class Nearness:
    """How many leading directories a path shares with the closest of the changed files, +1
    for a changed file itself: the ranking's sense of "close"."""

    def __init__(self, near: Iterable[str]) -> None:
        self._files = set(near)
        self._dirs: set[str] = set()
        for path in self._files:
            parts = path.split("/")[:-1]
            self._dirs.update("/".join(parts[:n]) for n in range(1, len(parts) + 1))

    def __call__(self, path: str) -> int:
        parts = path.split("/")[:-1]
        if path in self._files:
            return len(parts) + 1
        shared = 0
        while shared < len(parts) and "/".join(parts[: shared + 1]) in self._dirs:
            shared += 1
        return shared


class Redacted(Sequence[str]):
    """A file's lines with secrets redacted as a diff of them would be, line by line on first
    access: a piece of a 5,000-line file need not redact the other 4,900. A file with a
    private key block is redacted whole, so that a block cut by a piece's edge is still
    recognised."""

    def __init__(self, path: str, text: str) -> None:
        self._path = path
        self._raw = split_lines(text)
        self._done: dict[int, str] = {}
        if "PRIVATE KEY" in text:
            self._done = dict(enumerate(redact_lines(path, self._raw)))

    def __len__(self) -> int:
        return len(self._raw)

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        wanted = range(len(self._raw))[index]
        numbers = [wanted] if isinstance(wanted, int) else list(wanted)
        picked = self.pick(numbers)
        return picked[0] if isinstance(wanted, int) else picked

    def pick(self, numbers: Sequence[int]) -> list[str]:
        """The lines at these 0-based indexes, redacted together (scattered lines, such as
        a search's matches, cost one pass instead of one each)."""
        todo = [n for n in dict.fromkeys(numbers) if n not in self._done]
        if todo:
            done = redact_lines(self._path, [self._raw[n] for n in todo])
            self._done.update(zip(todo, done, strict=True))
        return [self._done[n] for n in numbers]


def redact_lines(path: str, lines: Sequence[str]) -> tuple[str, ...]:
    """`lines` of `path` redacted exactly as they would be in a diff."""
    numbered = tuple(DiffLine("context", n, n, text) for n, text in enumerate(lines, start=1))
    hunk = Hunk.model_construct(
        old_start=1, old_len=len(lines), new_start=1, new_len=len(lines), section="", lines=numbered
    )
    (file,), _ = redact_files([FileDiff.model_construct(path=path, hunks=(hunk,))])
    return tuple(ln.text for ln in file.hunks[0].lines)
