"""The bodies of the model's tools: each turns valid arguments into a result text with paths
and line numbers, cut to a token budget (bot.context.tools checks arguments and dispatches).

Every line shown is redacted like the diff; every path is one the snapshot lists (regular
files only: a symbolic link is not a file here, so nothing outside the repository is read).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

from bot.context.capped import Capped, show_line
from bot.context.index import MAX_DEFINERS, MAX_USING_FILES, SymbolIndex
from bot.context.languages import family_of, language_of
from bot.context.search import MAX_COUNTED, TextSearch
from bot.context.snapshot import safe_path
from bot.diff.globs import compile_globs
from bot.diff.render import escape_name
from bot.secrets.redact import redact_path

MAX_DEFINITION_LINES = 80  # lines of one definition shown; read_file shows the rest
_NUMBERED = "{n}: {text}"


class ToolError(ValueError):
    """A call that cannot be answered as asked: its message is the model's result."""


class Lookup:
    """The tool bodies over one snapshot's paths, its symbol index and its text search."""

    def __init__(self, index: SymbolIndex, paths: Sequence[str], search: TextSearch) -> None:
        self._index = index
        self._paths = paths
        self._known = frozenset(paths)
        self._search = search
        # One language per family present: the index answers per family.
        families: dict[str, str] = {}
        for path in paths:
            language = language_of(path)
            if language is not None:
                families.setdefault(family_of(language), language)
        self._families = families

    def file(self, path: str) -> str:
        """The repository path `path` names, or ToolError saying why it cannot be read."""
        raw = path.strip()
        norm = safe_path(raw)
        if norm is None or ".." in raw.split("/"):
            raise ToolError(
                f"{path!r} is not a repository path: give it relative to the repository root, "
                "without '..' or a leading '/'"
            )
        if norm not in self._known:
            raise ToolError(f"no file {norm!r} in the repository (list_files finds paths)")
        return norm

    def read_file(self, path: str, start: int | None, end: int | None, *, budget: int) -> str:
        norm = self.file(path)
        lines = self._index.redacted_lines(norm, False)
        if lines is None:
            raise ToolError(f"{norm} cannot be read: binary, over 1 MB, or not a regular file")
        total = len(lines)
        first = start or 1
        last = min(end or total, total)
        if first > max(total, 1):
            raise ToolError(f"{norm} has {total:,} lines; start_line {first} is past its end")
        if last < first and total:
            raise ToolError(f"end_line {end} is before start_line {first}")
        out = Capped(budget, header=f"{_shown(norm)} lines {first}-{last} of {total:,}:")
        shown = first - 1
        for n in range(first, last + 1):
            if not out.add(_NUMBERED.format(n=n, text=show_line(lines[n - 1]))):
                break
            shown = n
        note = ""
        if shown < last:
            note = (
                f"[cut: lines {shown + 1}-{last} not shown (result limit); read_file with "
                f"start_line {shown + 1} for more]"
            )
        if not total:
            note = "(the file is empty)"
        return out.text(note)

    def search(self, pattern: str, *, regex: bool, path_glob: str | None, budget: int) -> str:
        keep = _glob_filter(path_glob)
        kind = "regular expression (RE2)" if regex else "literal text"
        where = f" in files matching {path_glob!r}" if path_glob else ""
        out = Capped(budget)
        files: set[str] = set()
        matched = 0
        for match in self._search.search(pattern, regex=regex, keep=keep):
            matched += 1
            files.add(match.path)
            out.add(f"{_shown(match.path)}:{match.line}: {show_line(match.text)}")
            if matched >= MAX_COUNTED:
                break
        more = "at least " if matched >= MAX_COUNTED else ""
        out.header = (
            f"search for {kind} {pattern!r}{where}: {more}{matched:,} matching line(s) in "
            f"{more}{len(files):,} file(s)"
        )
        notes = []
        if len(out.lines) < matched:
            notes.append(
                f"[cut: {more}{matched - len(out.lines):,} more matching line(s) not shown "
                "(result limit); narrow the pattern or path_glob]"
            )
        if self._search.unread:
            notes.append(f"[{self._search.unread:,} large file(s) past the search limit]")
        return out.text(" ".join(notes))

    def list_files(self, glob: str | None, *, budget: int) -> str:
        keep = _glob_filter(glob)
        out = Capped(budget)
        matched = 0
        for path in self._paths:
            if keep(path):
                matched += 1
                out.add(_shown(path))
        what = f"matching {glob!r}" if glob else "in the repository"
        out.header = f"{matched:,} file(s) {what}:"
        note = ""
        if len(out.lines) < matched:
            note = f"[cut: {matched - len(out.lines):,} more not shown; narrow the glob]"
        return out.text(note)

    def definitions(self, symbol: str, *, budget: int) -> str:
        name = _name(symbol)
        if not self._families:
            return _no_languages(name)
        out = Capped(budget)
        found = ambiguous = 0
        for language in self._families.values():
            defs, files = self._index.definitions(name, language)
            if not defs and files > MAX_DEFINERS:
                ambiguous += files
            for d in defs:
                found += 1
                lines = self._index.redacted_lines(d.path, False)
                header = f"{_shown(d.path)} lines {d.start}-{d.end}: {d.kind}"
                if lines is None or not out.add(header):
                    continue
                last = min(d.end, d.start + MAX_DEFINITION_LINES - 1, len(lines))
                for n in range(d.start, last + 1):
                    out.add(_NUMBERED.format(n=n, text=show_line(lines[n - 1])))
                if last < d.end:
                    out.add(f"… lines {last + 1}-{d.end} not shown: read_file for the rest")
        out.header = f"definitions of {name}: {found}"
        notes = []
        if ambiguous:
            notes.append(
                f"[{name} looks defined in {ambiguous} files, too many to list: use search "
                "with a path_glob]"
            )
        if out.full:
            notes.append("[cut: result limit reached; read_file shows a definition whole]")
        if not found and not ambiguous:
            notes.append("(none found by the symbol index; search finds other mentions)")
        return out.text(" ".join(notes))

    def references(self, symbol: str, *, budget: int) -> str:
        name = _name(symbol)
        if not self._families:
            return _no_languages(name)
        out = Capped(budget)
        found, capped = 0, False
        for language in self._families.values():
            paths = self._index.files_using(name, language)
            capped = capped or len(paths) >= MAX_USING_FILES
            for path in paths:
                symbols = self._index.head(path)
                lines = self._index.redacted_lines(path, False)
                if symbols is None or lines is None:
                    continue
                for n in symbols.uses(name):
                    found += 1
                    out.add(f"{_shown(path)}:{n}: {show_line(lines[n - 1])}")
        out.header = f"references to {name} (uses, not definitions or mentions in text): {found}"
        notes = []
        if capped:
            notes.append(f"[only the {MAX_USING_FILES} files nearest the change were read]")
        if len(out.lines) < found:
            notes.append(f"[cut: {found - len(out.lines):,} more not shown (result limit)]")
        return out.text(" ".join(notes))


@lru_cache(maxsize=4096)
def _shown(path: str) -> str:
    """A path as the model sees it: a secret in a file name redacted, a line break escaped,
    as in the diff's file headers."""
    return escape_name(redact_path(path))


def _name(symbol: str) -> str:
    """The name a symbol ends in: `Cart.total` and `shop::Cart` look up `total` and `Cart`."""
    name = symbol.strip().replace("::", ".").rsplit(".", 1)[-1]
    if not name or not (name[0].isalpha() or name[0] in "_$"):
        raise ToolError(f"{symbol!r} is not a name (letters, digits, '_' or '$')")
    if not all(c.isalnum() or c in "_$" for c in name):
        raise ToolError(f"{symbol!r} is not a name (letters, digits, '_' or '$')")
    return name


def _glob_filter(glob: str | None) -> Callable[[str], bool]:
    if not glob:
        return lambda path: True
    spec = compile_globs((glob,))
    return lambda path: bool(spec.match_file(path))


def _no_languages(name: str) -> str:
    return (
        f"definitions of {name}: the symbol index reads Python, JavaScript, TypeScript, Go, "
        "Rust, Java, C and C++ files, and the repository has none; use search"
    )
