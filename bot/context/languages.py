"""The languages the symbol index reads: file names, grammars, tags queries, definition lines.

Grammars come from the per-language wheels (tree-sitter-python, -javascript, -typescript, -go,
-rust, -java, -cpp), each a small native library that ships its own `queries/tags.scm`; those
queries are loaded from the installed package at run time and completed here with the
definitions they leave out (constants, enums, type aliases, C++ references). Nothing is
downloaded or compiled at run time. A grammar that is missing or fails to load makes its
language unknown: its files get no symbols, and the review goes on.
"""

from __future__ import annotations

import importlib
import importlib.resources
import posixpath
import re
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from tree_sitter import Language, Parser, Query


@dataclass(frozen=True)
class LanguageSpec:
    name: str
    grammar: tuple[str, str]  # (package, function returning the language pointer)
    shipped: tuple[str, ...]  # packages whose queries/tags.scm apply, in this order
    extra: str  # our own tags patterns, same capture names as the shipped ones
    identifiers: tuple[str, ...]  # node types that name something
    wrappers: frozenset[str]  # parents that belong to a definition (decorators, templates)
    definition_lines: tuple[str, ...]  # regexes whose groups may name a definition


_ID = r"[A-Za-z_]\w*"
_JS_ID = r"[A-Za-z_$][\w$]*"


def _keywords(*words: str, name: str = _ID) -> tuple[str, ...]:
    return tuple(rf"{w}[ \t]+({name})" for w in words)


# Definition lines are found with one pattern per keyword: a pattern that starts with a
# literal is scanned for at C speed, where an alternation or a class tries every position
# (ten times slower on a 20 MB repository). Line-start patterns begin with "\n": the text
# is scanned with a "\n" at both ends. Python class constants are left out: every indented
# line would be a candidate.
_PYTHON = LanguageSpec(
    name="python",
    grammar=("tree_sitter_python", "language"),
    shipped=("tree_sitter_python",),
    extra="""
((class_definition body: (block (expression_statement
  (assignment left: (identifier) @name) @definition.constant)))
  (#match? @name "^[A-Z][A-Z0-9_]*$"))
""",
    identifiers=("identifier",),
    wrappers=frozenset({"decorated_definition"}),
    definition_lines=(
        *_keywords("def", "class"),
        rf"\n({_ID})[ \t]*(?::[^=\n]*)?=(?!=)",
    ),
)

_JS_EXTRA = """
(program (lexical_declaration (variable_declarator name: (identifier) @name) @definition.constant))
(program (variable_declaration (variable_declarator name: (identifier) @name) @definition.constant))
(export_statement declaration: (lexical_declaration
  (variable_declarator name: (identifier) @name) @definition.constant))
"""
_JS_MODIFIERS = "static|async|public|private|protected|readonly|abstract|override|get|set|declare"
_JS_DEFINITION_LINES = (
    *_keywords("function", "class", "interface", "type", "enum", "namespace", name=_JS_ID),
    r"function\*[ \t]*(" + _JS_ID + ")",
    *(
        rf"{w}[ \t]+({_JS_ID})[ \t]*(?::[^=\n]*)?=[ \t]*(?:async\b[ \t]*)?"
        rf"(?:function\b|\(|<|{_JS_ID}[ \t]*=>|\n)"
        for w in ("const", "let", "var")
    ),
    "\n(?:"
    + "|".join(
        (
            r"(?:export[ \t]+(?:default[ \t]+)?)?(?:declare[ \t]+)?"
            rf"(?:const|let|var)[ \t]+({_JS_ID})",
            rf"[ \t]+(?:(?:{_JS_MODIFIERS})[ \t]+)*\*?#?({_JS_ID})"
            r"[ \t]*\??[ \t]*(?:<[^>\n]*>)?[ \t]*\(",
            rf"[ \t]*({_JS_ID})[ \t]*:[ \t]*(?:async\b[ \t]*)?(?:function\b|\([^)\n]*\)[ \t]*=>)",
            rf"[ \t]*[\w$.]*\.({_JS_ID})[ \t]*=[ \t]*(?:async\b[ \t]*)?(?:function\b|\()",
        )
    )
    + ")",
)
_JS_IDS = ("identifier", "property_identifier", "shorthand_property_identifier")

_JAVASCRIPT = LanguageSpec(
    name="javascript",
    grammar=("tree_sitter_javascript", "language"),
    shipped=("tree_sitter_javascript",),
    extra=_JS_EXTRA,
    identifiers=_JS_IDS,
    wrappers=frozenset({"export_statement", "lexical_declaration", "variable_declaration"}),
    definition_lines=_JS_DEFINITION_LINES,
)

_TS_EXTRA = (
    _JS_EXTRA
    + """
(type_alias_declaration name: (type_identifier) @name) @definition.type
(enum_declaration name: (identifier) @name) @definition.type
(internal_module name: (identifier) @name) @definition.module
(type_identifier) @name @reference.type
"""
)

_TYPESCRIPT = LanguageSpec(
    name="typescript",
    grammar=("tree_sitter_typescript", "language_typescript"),
    # The TypeScript grammar extends JavaScript's; its own tags.scm covers only what it adds.
    shipped=("tree_sitter_javascript", "tree_sitter_typescript"),
    extra=_TS_EXTRA,
    identifiers=(*_JS_IDS, "type_identifier"),
    wrappers=_JAVASCRIPT.wrappers,
    definition_lines=_JS_DEFINITION_LINES,
)
# The same language with JSX: only the grammar differs.
_TSX = replace(_TYPESCRIPT, name="tsx", grammar=("tree_sitter_typescript", "language_tsx"))

_GO = LanguageSpec(
    name="go",
    grammar=("tree_sitter_go", "language"),
    shipped=("tree_sitter_go",),
    extra="""
(source_file (const_declaration (const_spec name: (identifier) @name) @definition.constant))
(source_file (var_declaration (var_spec name: (identifier) @name) @definition.constant))
""",
    identifiers=("identifier", "field_identifier", "type_identifier"),
    wrappers=frozenset({"type_declaration", "const_declaration", "var_declaration"}),
    definition_lines=(
        rf"func[ \t]*(?:\([^)\n]*\)[ \t]*)?({_ID})",
        rf"\n(?:(?:type|const|var)[ \t]+({_ID})|\t({_ID})\b[^\n(]*(?=\n))",
    ),
)

_RUST = LanguageSpec(
    name="rust",
    grammar=("tree_sitter_rust", "language"),
    shipped=("tree_sitter_rust",),
    extra="""
(const_item name: (identifier) @name) @definition.constant
(static_item name: (identifier) @name) @definition.constant
(call_expression function: (scoped_identifier name: (identifier) @name)) @reference.call
(type_identifier) @name @reference.type
""",
    identifiers=("identifier", "field_identifier", "type_identifier"),
    wrappers=frozenset(),
    definition_lines=(
        *_keywords("fn", "struct", "enum", "union", "trait", "type", "mod", "const"),
        rf"static[ \t]+(?:mut[ \t]+)?({_ID})",
        rf"macro_rules![ \t]*({_ID})",
    ),
)

_JAVA = LanguageSpec(
    name="java",
    grammar=("tree_sitter_java", "language"),
    shipped=("tree_sitter_java",),
    extra="""
(enum_declaration name: (identifier) @name) @definition.class
(record_declaration name: (identifier) @name) @definition.class
(annotation_type_declaration name: (identifier) @name) @definition.interface
(class_body (field_declaration declarator: (variable_declarator name: (identifier) @name))
  @definition.constant)
(interface_body (constant_declaration declarator: (variable_declarator name: (identifier) @name))
  @definition.constant)
(type_identifier) @name @reference.type
""",
    identifiers=("identifier", "type_identifier"),
    wrappers=frozenset(),
    definition_lines=(
        *_keywords("class", "interface", "enum", "record", name=_JS_ID),
        rf"@interface[ \t]+({_JS_ID})",
        rf"\n[ \t]*(?:[\w$<>\[\],.?@]+[ \t]+){{1,8}}({_JS_ID})[ \t]*[(=;]",
    ),
)

_CPP = LanguageSpec(
    name="cpp",
    grammar=("tree_sitter_cpp", "language"),
    shipped=("tree_sitter_cpp",),
    extra="""
(function_declarator declarator: (qualified_identifier name: (identifier) @name))
  @definition.method
(preproc_def name: (identifier) @name) @definition.macro
(preproc_function_def name: (identifier) @name) @definition.macro
(namespace_definition name: (namespace_identifier) @name) @definition.module
(call_expression function: (identifier) @name) @reference.call
(call_expression function: (field_expression field: (field_identifier) @name)) @reference.call
(call_expression function: (qualified_identifier name: (identifier) @name)) @reference.call
(type_identifier) @name @reference.type
""",
    identifiers=("identifier", "field_identifier", "type_identifier", "namespace_identifier"),
    wrappers=frozenset(
        {
            "function_definition",
            "declaration",
            "field_declaration",
            "template_declaration",
            "pointer_declarator",
            "reference_declarator",
        }
    ),
    definition_lines=(
        *(
            rf"{w}[ \t]+(?:class[ \t]+|struct[ \t]+)?(?:[A-Z_]+[ \t]+)?({_ID})"
            for w in ("class", "struct", "union", "enum", "namespace")
        ),
        rf"define[ \t]+({_ID})",
        rf"using[ \t]+({_ID})[ \t]*=",
        # typedef only at a line's start: anywhere, "typedef typedef …" would rescan the line
        rf"\n(?:[ \t]*(?:[\w:*&<>,]+[ \t]+[*&]*){{1,6}}(?:\w+::)*~?({_ID})[ \t]*\("
        rf"|(?:\w+::)*~?({_ID})[ \t]*\("
        rf"|[ \t]*typedef\b[^;\n]{{0,300}}?\b({_ID})[ \t]*;)",
    ),
)

LANGUAGES = {s.name: s for s in (_PYTHON, _JAVASCRIPT, _TYPESCRIPT, _TSX, _GO, _RUST, _JAVA, _CPP)}
_EXTENSIONS = {
    **dict.fromkeys((".py", ".pyi"), "python"),
    **dict.fromkeys((".js", ".mjs", ".cjs", ".jsx"), "javascript"),
    **dict.fromkeys((".ts", ".mts", ".cts"), "typescript"),
    ".tsx": "tsx",
    ".go": "go",
    ".rs": "rust",
    ".java": "java",
    # C parses well enough with the C++ grammar for names and scopes: one wheel fewer.
    **dict.fromkeys(
        (".c", ".h", ".cc", ".cpp", ".cxx", ".c++", ".hh", ".hpp", ".hxx", ".h++", ".ipp"),
        "cpp",
    ),
}
# Definitions in these languages are found in one another's files (a .ts file calls a .js one).
FAMILIES = {"typescript": "js", "tsx": "js", "javascript": "js"}


def language_of(path: str) -> str | None:
    """The language name of `path` by its extension, or None when the index cannot read it."""
    return _EXTENSIONS.get(posixpath.splitext(path)[1].lower())


def family_of(language: str) -> str:
    """Languages whose files may define each other's names share a family."""
    return FAMILIES.get(language, language)


@dataclass(frozen=True)
class Loaded:
    """A language ready to parse: its grammar and compiled queries."""

    spec: LanguageSpec
    language: Language
    parser: Parser
    definitions: Query  # the tags patterns that capture a definition
    references: Query  # ... and those that capture a reference
    identifiers: Query
    definition_lines: tuple[re.Pattern[str], ...]


@cache
def load(name: str) -> Loaded | None:
    """The grammar and queries of language `name`, or None when they cannot be loaded."""
    spec = LANGUAGES.get(name)
    if spec is None:
        return None
    try:
        module, function = spec.grammar
        language = Language(getattr(importlib.import_module(module), function)())
        source = "\n".join([*(_shipped_tags(p) for p in spec.shipped), spec.extra])
        definitions = _only(Query(language, source), source, "@definition.")
        references = _only(Query(language, source), source, "@reference.")
        ids = Query(language, "[" + " ".join(f"({t})" for t in spec.identifiers) + "] @id")
    except Exception:  # a broken or missing grammar only costs its own language
        return None
    return Loaded(
        spec=spec,
        language=language,
        parser=Parser(language),
        definitions=definitions,
        references=references,
        identifiers=ids,
        definition_lines=tuple(re.compile(p) for p in spec.definition_lines),
    )


def _only(query: Query, source: str, capture: str) -> Query:
    """`query` with every pattern disabled that does not capture `capture`: a file parsed to
    find one definition need not collect its thousands of references."""
    data = source.encode()
    for i in range(query.pattern_count):
        if (
            capture.encode()
            not in data[query.start_byte_for_pattern(i) : query.end_byte_for_pattern(i)]
        ):
            query.disable_pattern(i)
    return query


def _shipped_tags(package: str) -> str:
    return importlib.resources.files(package).joinpath("queries/tags.scm").read_text("utf-8")


def defined_names(language: str, text: str) -> set[str]:
    """Names that lines of `text` look like they define: a cheap, generous filter that picks
    the files worth parsing when a name's definition is wanted."""
    loaded = load(language)
    if loaded is None:
        return set()
    names: set[str] = set()
    text = f"\n{text}\n"
    for pattern in loaded.definition_lines:
        if pattern.groups == 1:
            names.update(pattern.findall(text))
        else:
            names.update(g for groups in pattern.findall(text) for g in groups if g)
    return names


def node_text(node: Any) -> str:
    """A node's source text (tree-sitter hands out bytes)."""
    data = node.text
    return data.decode("utf-8", errors="replace") if data else ""
