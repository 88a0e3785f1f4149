"""The model's read-only tools over the snapshot at the PR head: what each takes (a JSON
schema the request offers), checking a call's arguments, and running it.

A call never raises and never reads outside the snapshot: an unknown tool, arguments that
are not JSON or do not fit the schema, an oversized argument, a path outside the repository
or a pattern RE2 refuses all come back as an `error:` result the model reads. Results carry
paths and line numbers, are redacted like the diff, and are cut to the caller's token budget
(saying what was cut).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.context.index import SymbolIndex
from bot.context.lookup import Lookup, ToolError
from bot.context.search import MAX_SEARCH_BYTES, PatternError, TextSearch
from bot.context.snapshot import Snapshot

MAX_ARGUMENTS_CHARS = 4_000  # a call's whole arguments: paths, names and patterns are short
MAX_TEXT_CHARS = 500  # one path, name, pattern or glob


class _Args(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ReadFileArgs(_Args):
    """Read a file of the repository (at the pull request's head), or a range of its lines.
    Lines come numbered. Long files are cut: ask for a range."""

    path: str = Field(description="Path from the repository root, e.g. src/app/models.py.")
    start_line: int | None = Field(
        default=None, description="First line to show (1-based); omit for the start."
    )
    end_line: int | None = Field(
        default=None, description="Last line to show; omit for the end of the file."
    )


class SearchArgs(_Args):
    """Search every text file of the repository for lines containing a text or matching a
    regular expression (RE2 syntax: no backreferences or lookaround; (?i) ignores case).
    Returns path:line: text for each matching line, files nearest the change first."""

    pattern: str = Field(description="The text or expression.")
    regex: bool = Field(
        default=False, description="True: pattern is a regular expression; else literal text."
    )
    path_glob: str | None = Field(
        default=None,
        description="Only files matching this gitignore-style glob, e.g. 'src/**/*.py'.",
    )


class SymbolArgs(_Args):
    symbol: str = Field(description="A function, method, class, type or constant name.")


class FindDefinitionsArgs(SymbolArgs):
    """Find where a name is defined (functions, methods, classes, types, constants) in the
    repository's Python, JavaScript/TypeScript, Go, Rust, Java and C/C++ files; shows each
    definition's lines."""


class FindReferencesArgs(SymbolArgs):
    """Find where a name is used in code (calls, type uses; not strings or comments) in the
    repository's Python, JavaScript/TypeScript, Go, Rust, Java and C/C++ files."""


class ListFilesArgs(_Args):
    """List the repository's files, optionally only those matching a glob."""

    glob: str | None = Field(
        default=None,
        description="gitignore-style glob, e.g. 'tests/' or '**/*.go'; omit for every file.",
    )


_ARGS: dict[str, type[_Args]] = {
    "read_file": ReadFileArgs,
    "search": SearchArgs,
    "find_definitions": FindDefinitionsArgs,
    "find_references": FindReferencesArgs,
    "list_files": ListFilesArgs,
}
TOOL_NAMES: tuple[str, ...] = tuple(_ARGS)


def tool_specs() -> list[dict[str, Any]]:
    """Name, description and JSON schema of each tool: what a request's `tools` offers."""
    return [
        {"name": name, "description": _describe(args), "parameters": _schema(args)}
        for name, args in _ARGS.items()
    ]


def _describe(args: type[_Args]) -> str:
    return " ".join((args.__doc__ or "").split())


def _schema(args: type[_Args]) -> dict[str, Any]:
    schema = args.model_json_schema()
    schema.pop("title", None)
    schema.pop("description", None)  # said once, in the tool's description
    for key, prop in schema.get("properties", {}).items():
        prop.pop("title", None)
        # An optional argument is one to leave out: `T`, not `anyOf [T, null]` (simpler for
        # small models and for servers that turn schemas into grammars).
        kinds = [k for k in prop.pop("anyOf", []) if k.get("type") != "null"]
        if kinds:
            prop.update(kinds[0])
        if prop.get("default", ...) is None:
            del prop["default"]
        schema["properties"][key] = prop
    return schema


@dataclass(frozen=True)
class ToolResult:
    text: str
    error: bool = False


class Toolbox:
    """The tools over one snapshot, for one run. Calls are serialised (one lock): the index
    and the text cache fill lazily, and chunks of a run may call at the same time."""

    def __init__(
        self,
        snapshot: Snapshot,
        *,
        index: SymbolIndex | None = None,
        max_search_bytes: int = MAX_SEARCH_BYTES,
    ) -> None:
        self.index = index or SymbolIndex(snapshot)
        paths = snapshot.paths()
        search = TextSearch(self.index, paths, max_bytes=max_search_bytes)
        self._lookup = Lookup(self.index, paths, search)
        self._lock = threading.Lock()

    def run(self, name: str, arguments: str, *, max_tokens: int) -> ToolResult:
        """The result of calling `name` with `arguments` (the JSON text the model wrote)."""
        try:
            args = _parse(name, arguments)
            with self._lock:
                return ToolResult(self._call(args, max_tokens))
        except (ToolError, PatternError) as exc:
            prefix = "the pattern is not valid RE2: " if isinstance(exc, PatternError) else ""
            return ToolResult(f"error: {prefix}{exc}", error=True)
        except Exception as exc:  # a tool must never end a review: the model hears of it
            return ToolResult(f"error: {name} failed ({type(exc).__name__})", error=True)

    def _call(self, args: _Args, budget: int) -> str:
        look = self._lookup
        calls: dict[type[_Args], Callable[[Any], str]] = {
            ReadFileArgs: lambda a: look.read_file(a.path, a.start_line, a.end_line, budget=budget),
            SearchArgs: lambda a: look.search(
                a.pattern, regex=a.regex, path_glob=a.path_glob, budget=budget
            ),
            FindDefinitionsArgs: lambda a: look.definitions(a.symbol, budget=budget),
            FindReferencesArgs: lambda a: look.references(a.symbol, budget=budget),
            ListFilesArgs: lambda a: look.list_files(a.glob, budget=budget),
        }
        return calls[type(args)](args)


def _parse(name: str, arguments: str) -> _Args:
    model = _ARGS.get(name)
    if model is None:
        raise ToolError(f"there is no tool {name[:80]!r}; the tools are {', '.join(TOOL_NAMES)}")
    if len(arguments) > MAX_ARGUMENTS_CHARS:
        raise ToolError(f"the arguments are {len(arguments):,} characters, over the limit")
    try:
        data = json.loads(arguments) if arguments.strip() else {}
    except json.JSONDecodeError as exc:
        raise ToolError(f"the arguments are not JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise ToolError("the arguments must be a JSON object")
    try:
        args = model.model_validate(data)
    except ValidationError as exc:
        raise ToolError(f"the arguments do not fit {name}'s schema: {_problems(exc)}") from None
    # Bounds are checked here, not stated in the schema: some servers refuse length keywords.
    for key, value in args.model_dump().items():
        if isinstance(value, str) and len(value) > MAX_TEXT_CHARS:
            raise ToolError(f"{key} is {len(value):,} characters; at most {MAX_TEXT_CHARS}")
        if isinstance(value, int) and not isinstance(value, bool) and value < 1:
            raise ToolError(f"{key} must be at least 1")
    return args


def _problems(exc: ValidationError) -> str:
    parts = [
        f"{'.'.join(str(p) for p in e['loc']) or '(arguments)'}: {e['msg']}"
        for e in exc.errors(include_url=False)
    ]
    return "; ".join(parts[:3])


def run_all(
    toolbox: Toolbox, calls: Sequence[tuple[str, str]], *, max_tokens: Sequence[int]
) -> list[ToolResult]:
    """Several calls of one round, one after the other: each is a cheap local read."""
    return [
        toolbox.run(name, args, max_tokens=cap)
        for (name, args), cap in zip(calls, max_tokens, strict=True)
    ]
