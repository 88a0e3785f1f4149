"""Real tree-sitter parsing of small files in every supported language: definitions with their
line ranges, calls, identifiers, scopes, uses; and files the index must skip."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.context import languages
from bot.context.languages import defined_names, language_of, load
from bot.context.symbols import FileSymbols, parse_symbols, split_lines

DATA = Path(__file__).resolve().parent.parent / "data" / "context"


def parsed(name: str) -> FileSymbols:
    symbols = parse_symbols(name, (DATA / name).read_text())
    assert symbols is not None
    return symbols


def spans(symbols: FileSymbols) -> set[tuple[str, str, int, int]]:
    return {(d.name, d.kind, d.start, d.end) for d in symbols.definitions}


# (name, kind, first line, last line): decorators, templates and doc comments belong to the
# definition; a line comment or macro that ends at its newline ends on its own line.
EXPECTED = {
    "sample.py": {
        ("LIMIT", "constant", 5, 5),
        ("helper", "function", 8, 9),
        ("decorated", "function", 12, 15),
        ("Store", "class", 18, 28),
        ("DEFAULT", "constant", 21, 21),
        ("__init__", "function", 23, 24),
        ("load", "function", 26, 28),
    },
    "sample.js": {
        ("LIMIT", "constant", 1, 2),
        ("helper", "function", 4, 9),
        ("arrow", "function", 11, 11),
        ("Store", "class", 13, 21),
        ("load", "method", 18, 20),
    },
    "sample.ts": {
        ("LIMIT", "constant", 1, 2),
        ("Shape", "interface", 4, 6),
        ("Name", "type", 8, 8),
        ("Color", "type", 10, 13),
        ("helper", "function", 15, 17),
        ("Square", "class", 19, 25),
        ("area", "method", 22, 24),
    },
    "sample.go": {
        ("Limit", "constant", 5, 6),
        ("Store", "type", 8, 11),
        ("Helper", "function", 13, 16),
        ("Load", "method", 18, 21),
    },
    "sample.rs": {
        ("LIMIT", "constant", 3, 3),
        ("Store", "class", 5, 8),
        ("Loader", "interface", 10, 12),
        ("load", "method", 15, 17),
        ("helper", "function", 20, 23),
    },
    "Sample.java": {
        ("Sample", "class", 3, 20),
        ("LIMIT", "constant", 5, 5),
        ("Color", "class", 7, 7),
        ("Loader", "interface", 9, 11),
        ("helper", "method", 13, 15),
        ("load", "method", 17, 19),
    },
    "sample.cpp": {
        ("LIMIT", "macro", 4, 4),
        ("sample", "module", 6, 24),
        ("helper", "declaration", 8, 8),
        ("Store", "class", 10, 16),
        ("helper", "function", 18, 18),
        ("load", "method", 20, 22),
    },
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_definitions_and_their_ranges(name: str) -> None:
    found = spans(parsed(name))
    assert EXPECTED[name] <= found, EXPECTED[name] - found


@pytest.mark.parametrize(
    ("name", "line", "calls"),
    [
        ("sample.py", 14, {"helper", "len"}),
        ("sample.js", 19, {"helper"}),
        ("sample.ts", 23, {"helper"}),
        ("sample.go", 20, {"Sprintf", "Helper"}),
        ("Sample.java", 18, {"helper"}),
        ("sample.cpp", 21, {"helper", "to_string"}),
    ],
)
def test_calls_on_a_line(name: str, line: int, calls: set[str]) -> None:
    refs = parsed(name).references([line])
    assert {r.name for r in refs if r.kind == "call"} == calls
    assert all(r.line == line for r in refs)


def test_identifiers_say_which_are_members() -> None:
    found = parsed("sample.py").identifiers([27])  # path = os.path.join(self.root, name)
    assert ("join", 27, True) in found and ("os", 27, False) in found
    assert ("root", 27, True) in found and ("name", 27, False) in found
    assert {line for _, line, _ in found} == {27}


@pytest.mark.parametrize(
    ("name", "line", "scopes"),
    [
        ("sample.py", 27, ["load", "Store"]),
        ("sample.py", 14, ["decorated"]),
        ("sample.py", 3, []),
        ("sample.js", 19, ["load", "Store"]),
        ("sample.go", 20, ["Load"]),
        ("sample.rs", 16, ["load"]),
        ("Sample.java", 18, ["load", "Sample"]),
        ("sample.cpp", 21, ["load", "sample"]),
    ],
)
def test_enclosing_scopes_innermost_first(name: str, line: int, scopes: list[str]) -> None:
    assert [d.name for d in parsed(name).enclosing(line, line)] == scopes


def test_uses_are_identifiers_not_text_in_strings_or_the_definition() -> None:
    text = 'def helper():\n    pass\n\nhelper()\nx = "helper"  # helper\ny = helper\n'
    symbols = parse_symbols("m.py", text)
    assert symbols is not None
    assert symbols.uses("helper") == [4, 6]


def test_signature_end_is_where_the_body_starts() -> None:
    text = "def f(\n    a,\n    b,\n):\n    return a\n"
    symbols = parse_symbols("m.py", text)
    assert symbols is not None
    (d,) = symbols.definitions
    assert (d.start, d.header_end, d.end) == (1, 5, 5)


def test_tsx_files_parse_jsx_with_the_tsx_grammar() -> None:
    # TSX is TypeScript's spec with another grammar: JSX that the .ts grammar cannot read.
    text = (
        "export function App(props: { name: string }): JSX.Element {\n"
        '  return <div className="x">{props.name}</div>;\n'
        "}\n"
    )
    tsx, ts = parse_symbols("App.tsx", text), parse_symbols("App.ts", text)
    assert tsx is not None and ts is not None
    assert not tsx.tree.root_node.has_error and ts.tree.root_node.has_error
    assert spans(tsx) == {("App", "function", 1, 3)}
    assert languages.LANGUAGES["tsx"].extra == languages.LANGUAGES["typescript"].extra


def test_every_language_loads_from_its_wheel_with_its_shipped_queries() -> None:
    for name in languages.LANGUAGES:
        loaded = load(name)
        assert loaded is not None, name
        assert loaded.definitions.pattern_count == loaded.references.pattern_count > 3


@pytest.mark.parametrize(
    ("path", "language"),
    [
        ("a/b.py", "python"),
        ("x.PYI", "python"),
        ("web/app.jsx", "javascript"),
        ("a.mts", "typescript"),
        ("a.tsx", "tsx"),
        ("main.go", "go"),
        ("lib.rs", "rust"),
        ("A.java", "java"),
        ("x.hpp", "cpp"),
        ("x.c", "cpp"),
        ("README.md", None),
        ("Makefile", None),
    ],
)
def test_language_of(path: str, language: str | None) -> None:
    assert language_of(path) == language


def test_definition_lines_find_the_files_worth_parsing() -> None:
    # The cheap pass must not miss what tree-sitter finds in these files, except Python
    # class constants: a pattern for indented lines costs a scan of every line.
    for name in EXPECTED:
        text = (DATA / name).read_text()
        language = language_of(name)
        assert language is not None
        wanted = {d.name for d in parsed(name).definitions if d.kind != "declaration"}
        assert wanted - {"DEFAULT"} <= defined_names(language, text), name


def test_hostile_lines_do_not_stall_the_definition_pass() -> None:
    # The repository comes from the pull request: lines built to make a regex backtrack
    # must cost about what ordinary lines cost (a generous guard against a hang, not a timing).
    import time

    lines = [
        " ".join(["abc"] * 600),
        "a::" * 600,
        "static " * 280,
        "typedef " * 250,
        "class " * 330,
        "f<" * 900,
        "a:" * 999,
        "\t" + "x\t" * 900,
        "func (" + "a" * 1990,
        "const a: " + "b" * 1900,
    ]
    text = "\n".join(lines * 50) + "\n"  # about 800 KB, no line over 2,000 characters
    started = time.perf_counter()
    for name in languages.LANGUAGES:
        defined_names(name, text)
    assert time.perf_counter() - started < 10


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("notes.txt", "def helper(): pass\n"),  # unknown language
        ("a.py", None),  # binary or unreadable
        ("gen.py", "# Code generated by protoc. DO NOT EDIT.\ndef f(): pass\n"),
        ("app.min.js", "function f(){}\n"),  # generated by its name
        ("dist/index.js", "function f() {}\n"),  # ... or its directory
        ("api/user.pb.go", "package api\nfunc F() {}\n"),
        ("web/node_modules/x/index.js", "function f() {}\n"),  # vendored
        ("gen.go", "package a\n\n\n\n// @generated\nfunc F() {}\n"),  # marker on line 5
        ("vendor/lib.py", "def f(): pass\n"),
        ("long.js", "var a=" + "1+" * 5000 + "1;\n"),  # minified
        ("big.py", "x = 1\n" * 100_000),  # oversized
    ],
)
def test_files_the_index_skips_have_no_symbols(path: str, text: str | None) -> None:
    assert parse_symbols(path, text) is None


def test_broken_source_still_parses_what_it_can() -> None:
    symbols = parse_symbols("m.py", "def good():\n    return 1\n\ndef broken(:\n    )))\n")
    assert symbols is not None
    assert "good" in {d.name for d in symbols.definitions}


def test_a_grammar_that_fails_to_load_makes_its_language_unknown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    broken = languages.LanguageSpec(
        name="broken",
        grammar=("tree_sitter_no_such_grammar", "language"),
        shipped=(),
        extra="",
        identifiers=("identifier",),
        wrappers=frozenset(),
        definition_lines=(),
    )
    monkeypatch.setitem(languages.LANGUAGES, "broken", broken)
    monkeypatch.setitem(languages._EXTENSIONS, ".brk", "broken")
    assert load("broken") is None
    assert parse_symbols("x.brk", "anything") is None
    assert defined_names("broken", "anything") == set()


def test_lines_split_as_git_counts_them() -> None:
    assert split_lines("a\r\nb\n\x0cc\n") == ("a", "b", "\x0cc")
    assert split_lines("a\nb") == ("a", "b")
    assert split_lines("") == ()
