"""One file's symbols with tree-sitter: definitions with their line ranges, references, and
the identifiers on given lines. A file that cannot be parsed has no symbols, never an error."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tree_sitter import QueryCursor, Tree

from bot.context.languages import Loaded, language_of, load, node_text
from bot.context.snapshot import split_lines
from bot.diff.filters import MARKER_LINES, names_generator, path_filter_reason

MAX_PARSE_BYTES = 512_000  # bigger source files are nearly always generated
MINIFIED_LINE_CHARS = 2_000  # a line this long is not written by a person
MAX_DOC_LINES = 30  # comment lines above a definition kept with it
# Kinds that scope code (a change inside one is "in" it); constants and macros do not.
_MEMBER_TOKENS = frozenset({".", "->", "?."})
_IMPORT_NODES = frozenset(
    {
        "import_statement",  # Python, JavaScript
        "import_from_statement",  # Python
        "import_declaration",  # Go, Java
        "use_declaration",  # Rust
        "preproc_include",  # C, C++
        "using_declaration",  # C++
    }
)
_IMPORT_DEPTH = 6  # how far up an import's name can sit
SCOPE_KINDS = frozenset({"function", "method", "class", "interface", "type", "module"})


@dataclass(frozen=True, slots=True)
class Definition:
    name: str
    kind: str  # function, method, class, interface, type, constant, module, macro, declaration
    path: str
    start: int  # first line, 1-based, with decorators, templates and doc comments
    end: int  # last line
    name_line: int
    header_end: int  # last line before the body: a change up to here changes the signature


@dataclass(frozen=True, slots=True)
class Reference:
    name: str
    kind: str  # call, type, class, implementation
    line: int


@dataclass(frozen=True)
class FileSymbols:
    path: str
    language: str
    definitions: tuple[Definition, ...]
    lines: tuple[str, ...]  # the text's lines, without terminators
    source: bytes  # what was parsed: tree offsets point into it
    tree: Tree
    loaded: Loaded

    def enclosing(self, first: int, last: int) -> list[Definition]:
        """Scopes containing lines first..last, innermost first."""
        found = [
            d
            for d in self.definitions
            if d.kind in SCOPE_KINDS and d.start <= first and last <= d.end
        ]
        return sorted(found, key=lambda d: (d.end - d.start, -d.start))

    def references(self, lines: Iterable[int] | None = None) -> list[Reference]:
        """Calls and type references on `lines` (1-based; None for the whole file)."""
        spans = [(1, len(self.lines) + 1)] if lines is None else runs(sorted(set(lines)))
        out = []
        for first, last in spans:
            cursor = QueryCursor(self.loaded.references)
            cursor.set_point_range((first - 1, 0), (last, 0))
            for _, captures in cursor.matches(self.tree.root_node):
                names = captures.get("name")
                if not names:
                    continue
                line = names[0].start_point.row + 1
                if first <= line <= last:
                    for capture in captures:
                        role, _, kind = capture.partition(".")
                        if role == "reference":
                            out.append(Reference(node_text(names[0]), kind, line))
        return out

    def identifiers(self, lines: Iterable[int]) -> list[tuple[str, int, bool]]:
        """(name, line, member) of every identifier on `lines` (1-based), in order; member
        is true for `x.name` / `x->name`, whose meaning depends on what x is."""
        out: list[tuple[str, int, bool]] = []
        wanted = set(lines)
        for first, last in runs(sorted(wanted)):
            cursor = QueryCursor(self.loaded.identifiers)
            cursor.set_point_range((first - 1, 0), (last, 0))
            for node in cursor.captures(self.tree.root_node).get("id", ()):
                line = node.start_point.row + 1
                if line in wanted:
                    before = node.prev_sibling
                    member = before is not None and before.type in _MEMBER_TOKENS
                    out.append((node_text(node), line, member))
        return sorted(out, key=lambda item: item[1])

    def uses(self, name: str) -> list[int]:
        """Lines where `name` is used as an identifier (not where it is defined)."""
        defined = {d.name_line for d in self.definitions if d.name == name}
        root = self.tree.root_node
        types = set(self.loaded.spec.identifiers)
        out = set()
        word = re.compile(rb"(?<![\w$])" + re.escape(name.encode()) + rb"(?![\w$])")
        for match in word.finditer(self.source):
            node = root.named_descendant_for_byte_range(match.start(), match.end())
            if node is None or node.type not in types or _in_import(node):
                continue  # in a string or a comment, part of a longer token, or an import
            line = node.start_point.row + 1
            if line not in defined:
                out.add(line)
        return sorted(out)


def _in_import(node: Any) -> bool:
    """Whether `node` names something an import, include or `use` brings in."""
    for _ in range(_IMPORT_DEPTH):
        node = node.parent
        if node is None:
            return False
        if node.type in _IMPORT_NODES:
            return True
    return False


def runs(numbers: Sequence[int]) -> list[tuple[int, int]]:
    """Sorted numbers as (first, last) runs of consecutive values."""
    out: list[tuple[int, int]] = []
    for n in numbers:
        if out and n == out[-1][1] + 1:
            out[-1] = (out[-1][0], n)
        else:
            out.append((n, n))
    return out


def indexable(path: str, text: str | None) -> bool:
    """Whether the index reads `path`: a known language, not set aside by the default
    filters (vendored, generated) nor minified."""
    if text is None or language_of(path) is None or len(text) > MAX_PARSE_BYTES:
        return False
    if path_filter_reason(path) is not None:
        return False
    if names_generator(text[:4096].split("\n")[:MARKER_LINES]):
        return False
    return max(map(len, text.split("\n"))) <= MINIFIED_LINE_CHARS


def parse_symbols(path: str, text: str | None) -> FileSymbols | None:
    """The symbols of `path`, or None for an unknown language, a generated, minified or
    oversized file, or a grammar that fails on it."""
    language = language_of(path)
    if language is None or text is None or not indexable(path, text):
        return None
    loaded = load(language)
    if loaded is None:
        return None
    source = text.encode("utf-8", errors="replace")
    try:
        tree = loaded.parser.parse(source)
        matches = QueryCursor(loaded.definitions).matches(tree.root_node)
        definitions = _definitions(path, matches, loaded)
    except Exception:  # a grammar crash or an odd file only costs this file's symbols
        return None
    return FileSymbols(
        path=path,
        language=language,
        definitions=definitions,
        lines=split_lines(text),
        source=source,
        tree=tree,
        loaded=loaded,
    )


def _definitions(
    path: str, matches: Sequence[tuple[int, dict[str, list[Any]]]], loaded: Loaded
) -> tuple[Definition, ...]:
    found: dict[tuple[str, int], Definition] = {}
    for _, captures in matches:
        names = captures.get("name")
        if not names:
            continue
        for capture, nodes in captures.items():
            role, _, kind = capture.partition(".")
            if role != "definition":
                continue
            d = _definition(path, node_text(names[0]), kind, nodes[0], names[0], loaded)
            old = found.get((d.name, d.start))
            if old is None or (old.kind == "constant" and d.kind != "constant"):
                found[(d.name, d.start)] = d
    return tuple(sorted(found.values(), key=lambda d: d.start))


def _definition(
    path: str, name: str, kind: str, node: Any, name_node: Any, loaded: Loaded
) -> Definition:
    body = _body(node)
    while node.parent is not None and node.parent.type in loaded.spec.wrappers:
        node = node.parent
        body = body or _body(node)
    if loaded.spec.name == "cpp" and node.type in ("declaration", "field_declaration"):
        kind = "declaration"  # a prototype: the definition, if any, is elsewhere
    start = node.start_point.row + 1
    start = _doc_start(node, start)
    # A node that takes its line's newline (a macro, a line comment) ends on the line before.
    end = max(node.end_point.row + (1 if node.end_point.column else 0), start)
    name_line = name_node.start_point.row + 1
    header_end = max(body.start_point.row + 1, name_line) if body is not None else end
    return Definition(name, kind, path, start, end, name_line, header_end)


def _body(node: Any) -> Any:
    """A definition's body; for `const f = () => {…}`, the function's."""
    body = node.child_by_field_name("body")
    value = node.child_by_field_name("value")
    if body is None and value is not None:
        body = value.child_by_field_name("body")
    return body


def _doc_start(node: Any, start: int) -> int:
    """The first line of the comments right above `node` (no blank line between), if any."""
    sibling = node.prev_named_sibling
    while sibling is not None and "comment" in sibling.type:
        end = sibling.end_point
        last = end.row if end.column else end.row - 1  # a line comment may end at the newline
        if last + 1 != start - 1 or node.start_point.row - sibling.start_point.row > MAX_DOC_LINES:
            break
        start = sibling.start_point.row + 1
        sibling = sibling.prev_named_sibling
    return start
