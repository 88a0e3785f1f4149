"""What could be worth showing beside one chunk: scored line ranges of the repository, each
with the reason it would be there. bot.context.select ranks and fits them (pure)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass

from bot.context.index import SymbolIndex
from bot.context.symbols import SCOPE_KINDS, Definition, FileSymbols, runs
from bot.models import FileDiff

# Scores: higher is shown first. The scope a change sits in matters most, then what the
# changed lines call (a definition unique in the repository first), then who calls what
# changed. Within each kind, closeness and use counts order the candidates.
SCORE_ENCLOSING = 100.0
SCORE_OUTER_HEADER = 60.0
SCORE_WHOLE_FILE = 95.0
SCORE_DEFINITION = 50.0
SCORE_CALLER = 40.0
MAX_SCOPE_LINES = 150  # a longer enclosing scope shows its header and a window around the hunk
SCOPE_WINDOW = 25
MAX_DEFINITION_LINES = 80  # a longer definition shows its first DEFINITION_HEAD lines
DEFINITION_HEAD = 40
MAX_CALLER_LINES = 40  # a longer calling scope shows a window around the call
CALLER_WINDOW = 8
MAX_DEFINITIONS = 4  # a name defined in more files is too ambiguous to show
MAX_CALLERS = 6  # per changed function
WHOLE_FILE_LINES = 200  # a changed file this short is shown whole when pieces would cover half
TINY_FILE_LINES = 60  # ... and this short, always
# Names that are never worth a definition: the language's own receivers.
_RECEIVERS = frozenset({"self", "cls", "this", "super", "_"})
_KIND_WEIGHT = {"call": 1.0, "type": 0.8, "class": 0.8, "name": 0.4}
_CALLABLE_KINDS = frozenset({"function", "method"})
MEMBER_WEIGHT = 0.6  # `x.name`: the name may belong to a type the repository does not define


@dataclass(frozen=True)
class Candidate:
    path: str
    base: bool  # a range of the base version (code the PR removed)
    start: int
    end: int
    reason: str
    score: float


@dataclass(frozen=True)
class _Change:
    """One file of the chunk: what it shows and what it changes."""

    file: FileDiff
    head: FileSymbols | None
    base: FileSymbols | None
    added: tuple[int, ...]  # new-side numbers of added lines
    removed: tuple[int, ...]  # old-side numbers of removed lines


def shown_lines(files: Iterable[FileDiff]) -> dict[tuple[str, bool], set[int]]:
    """Lines the chunk's diff already shows, per (path, base): context never repeats them."""
    shown: dict[tuple[str, bool], set[int]] = {}
    for f in files:
        head = shown.setdefault((f.path, False), set())
        base = shown.setdefault((f.old_path or f.path, True), set())
        for hunk in f.hunks:
            for ln in hunk.lines:
                if ln.new_no is not None:
                    head.add(ln.new_no)
                if ln.old_no is not None:
                    base.add(ln.old_no)
    return shown


def find_candidates(files: Sequence[FileDiff], index: SymbolIndex) -> list[Candidate]:
    """Every candidate for a chunk of `files`, unranked; a file the index cannot read adds
    none (except, when small, itself whole)."""
    changes = [_change(f, index) for f in files]
    out: list[Candidate] = []
    for change in changes:
        out += _enclosing(change, index)
    out += _definitions(changes, index)
    out += _callers(changes, index)
    return out


def _change(file: FileDiff, index: SymbolIndex) -> _Change:
    lines = [ln for h in file.hunks for ln in h.lines]
    added = tuple(ln.new_no for ln in lines if ln.kind == "added" and ln.new_no is not None)
    removed = tuple(ln.old_no for ln in lines if ln.kind == "removed" and ln.old_no is not None)
    head = index.head(file.path) if file.status != "deleted" else None
    base = None
    if removed and file.status != "added":
        base = index.base(file.old_path or file.path)
    return _Change(file, head, base, added, removed)


# --- (a) enclosing scopes, (d) small files whole -------------------------------------------


def _enclosing(change: _Change, index: SymbolIndex) -> list[Candidate]:
    path = change.file.path
    out: list[Candidate] = []
    if change.head is not None:
        for first, last in runs(sorted(set(change.added) | _removal_points(change.file))):
            out += _scope_candidates(change.head, first, last, base=False)
    if change.base is not None:
        # The old version of a scope the head still has is the head's scope plus the removed
        # lines, which the diff shows: only scopes the PR removed or renamed are worth it.
        kept = {(d.kind, d.name) for d in change.head.definitions} if change.head else set()
        base_path = change.file.old_path or path
        for first, last in runs(sorted(set(change.removed))):
            out += _scope_candidates(change.base, first, last, base=True, path=base_path, skip=kept)
    return _whole_file(change, out, index) or out


def _removal_points(file: FileDiff) -> set[int]:
    """For each hunk that only removes lines, the head line just before the removal (or
    after it, at the top of a hunk): the code around it is the scope the removal changed."""
    points = set()
    for hunk in file.hunks:
        if any(ln.kind == "added" for ln in hunk.lines):
            continue
        kept = [ln.new_no for ln in hunk.lines if ln.kind == "context" and ln.new_no is not None]
        first_removed = next((i for i, ln in enumerate(hunk.lines) if ln.kind == "removed"), None)
        if kept and first_removed is not None:
            before = [ln.new_no for ln in hunk.lines[:first_removed] if ln.new_no is not None]
            points.add(before[-1] if before else kept[0])
    return points


def _scope_candidates(
    symbols: FileSymbols,
    first: int,
    last: int,
    *,
    base: bool,
    path: str | None = None,
    skip: Container[tuple[str, str]] = (),
) -> list[Candidate]:
    scopes = [d for d in symbols.enclosing(first, last) if (d.kind, d.name) not in skip]
    if not scopes:
        return []
    path = path or symbols.path
    when = " before the change" if base else ""
    inner, outer = scopes[0], scopes[1:]
    out = [
        Candidate(path, base, s, e, f"enclosing {inner.kind} {inner.name}{when}", SCORE_ENCLOSING)
        for s, e in _scope_ranges(inner, first, last)
    ]
    for scope in outer:  # only the header line(s) of each outer class or function
        header_end = min(scope.header_end, scope.start + 4)
        why = f"enclosing {scope.kind} {scope.name}{when}"
        out.append(Candidate(path, base, scope.start, header_end, why, SCORE_OUTER_HEADER))
    return out


def _scope_ranges(scope: Definition, first: int, last: int) -> list[tuple[int, int]]:
    if scope.end - scope.start < MAX_SCOPE_LINES:
        return [(scope.start, scope.end)]
    header = (scope.start, min(scope.header_end, scope.start + 9))
    window = (max(first - SCOPE_WINDOW, scope.start), min(last + SCOPE_WINDOW, scope.end))
    return [header, window]


def _whole_file(change: _Change, pieces: list[Candidate], index: SymbolIndex) -> list[Candidate]:
    """The changed file whole, instead of its pieces, when it is short: cheaper than pieces
    that would cover most of it, and the model sees the module's imports and neighbours."""
    file = change.file
    symbols = change.head
    if file.status == "deleted":
        return []
    lines = len(symbols.lines) if symbols is not None else _line_count(index, file.path)
    if not lines or lines > WHOLE_FILE_LINES:
        return []
    covered = {n for c in pieces if not c.base for n in range(c.start, c.end + 1)}
    if lines > TINY_FILE_LINES and len(covered) * 2 < lines:
        return []
    whole = Candidate(file.path, False, 1, lines, "rest of the changed file", SCORE_WHOLE_FILE)
    return [whole, *(c for c in pieces if c.base)]


def _line_count(index: SymbolIndex, path: str) -> int:
    """Lines of a text file the index does not parse (config, docs), 0 when unreadable."""
    text = index.read(path)
    return 0 if text is None else text.count("\n") + (not text.endswith("\n"))


# --- (b) definitions of what the changed lines use -------------------------------------------


def _definitions(changes: Sequence[_Change], index: SymbolIndex) -> list[Candidate]:
    uses: Counter[tuple[str, str]] = Counter()  # (name, language) -> uses on changed lines
    weights: dict[tuple[str, str], float] = {}  # the strongest use: a call over a mention
    local: dict[tuple[str, str], FileSymbols] = {}
    for change in changes:
        symbols = change.head
        if symbols is None or not change.added:
            continue
        added = set(change.added)
        defined_here = {d.name for d in symbols.definitions if d.name_line in added}
        refs = {(r.name, r.line): r.kind for r in symbols.references(added)}
        for name, line, member in symbols.identifiers(added):
            if name in _RECEIVERS or name in defined_here or len(name) < 2:
                continue
            key = (name, symbols.language)
            uses[key] += 1
            weight = _KIND_WEIGHT.get(refs.get((name, line), "name"), 0.4) * (
                MEMBER_WEIGHT if member else 1.0
            )
            weights[key] = max(weights.get(key, 0.0), weight)
            if any(d.name == name for d in symbols.definitions):
                local.setdefault(key, symbols)
    out: list[Candidate] = []
    for (name, language), count in uses.items():
        weight = SCORE_DEFINITION * weights[(name, language)] * (1 + math.log2(count))
        here = local.get((name, language))
        if here is not None:  # the file's own definition is the one the name means
            found, files = [d for d in here.definitions if d.name == name], 1
        else:
            found, files = index.definitions(name, language)
        if not found or files > MAX_DEFINITIONS:
            continue
        for d in found:
            closeness = 1 + 0.1 * index.nearness(d.path)
            out.append(
                Candidate(
                    d.path,
                    False,
                    d.start,
                    _definition_end(d),
                    f"definition of {name}{_cut_note(d)}",
                    weight * closeness / files**1.5,
                )
            )
    return out


def _definition_end(d: Definition) -> int:
    """A long definition is shown by its head: its first lines, or its whole signature."""
    if d.end - d.start < MAX_DEFINITION_LINES:
        return d.end
    signature = d.header_end + 1 if d.header_end < d.end else 0  # 0: no body (a struct, a table)
    return min(max(d.start + DEFINITION_HEAD, signature), d.start + MAX_DEFINITION_LINES) - 1


def _cut_note(d: Definition) -> str:
    shown = _definition_end(d) - d.start + 1
    total = d.end - d.start + 1
    return f" (first {shown} of {total} lines)" if shown < total else ""


# --- (c) callers of what the PR changes or removes -------------------------------------------


def _callers(changes: Sequence[_Change], index: SymbolIndex) -> list[Candidate]:
    # (name, language) -> (weight, whether only calls count: a changed function's callers,
    # not every line that names it, such as a module path or a callback passed along).
    changed: dict[tuple[str, str], tuple[float, bool]] = {}
    for change in changes:
        sides = ((change.head, change.added, None), (change.base, change.removed, change.head))
        for symbols, lines, head in sides:
            if symbols is None:
                continue
            for d, weight in _changed_definitions(symbols, lines, head=head):
                key = (d.name, symbols.language)
                old = changed.get(key, (0.0, True))
                callable_ = old[1] and d.kind in _CALLABLE_KINDS
                changed[key] = (max(old[0], weight), callable_)
    out: list[Candidate] = []
    for (name, language), (weight, calls_only) in sorted(changed.items()):
        _, defining = index.definitions(name, language)
        if defining > MAX_DEFINITIONS:
            continue  # `run`, `get`: a use could mean any of them
        score = weight / max(defining, 1)
        found: list[Candidate] = []
        for path in index.files_using(name, language):  # nearest first
            symbols = index.head(path)
            if symbols is not None:
                found += _uses(symbols, name, score, calls_only=calls_only)
            if len(found) >= MAX_CALLERS:
                break
        out += found[:MAX_CALLERS]
    return out


def _uses(symbols: FileSymbols, name: str, score: float, *, calls_only: bool) -> list[Candidate]:
    lines = symbols.uses(name)
    calls = {r.line for r in symbols.references(lines) if r.name == name and r.kind == "call"}
    return [
        _caller(symbols, line, name, score, call=line in calls)
        for line in lines
        if line in calls or not calls_only
    ]


def _changed_definitions(
    symbols: FileSymbols, lines: Sequence[int], *, head: FileSymbols | None
) -> list[tuple[Definition, float]]:
    """The innermost function, method or class around each run of changed `lines`, and any
    definition whose name line changed. A changed signature, or (given the `head` of a base
    file) a definition gone from the head, weighs more: its callers may now be wrong."""
    changed = set(lines)
    found = {d for first, last in runs(sorted(changed)) for d in symbols.enclosing(first, last)[:1]}
    found |= {d for d in symbols.definitions if d.kind in SCOPE_KINDS and d.name_line in changed}
    kept = {d.name for d in head.definitions} if head is not None else None
    out = []
    for d in sorted(found, key=lambda d: d.start):
        signature = bool(changed.intersection(range(d.start, d.header_end + 1)))
        gone = kept is not None and d.name not in kept
        # A class whose body changed is not a changed contract; its methods are judged
        # on their own. Its header (bases, parameters) or its removal is.
        if d.kind in _CALLABLE_KINDS or signature or gone:
            out.append((d, SCORE_CALLER * (1.5 if signature or gone else 1.0)))
    return out


def _caller(symbols: FileSymbols, line: int, name: str, score: float, *, call: bool) -> Candidate:
    scopes = symbols.enclosing(line, line)
    scope = scopes[0] if scopes else None
    if scope is not None and scope.end - scope.start < MAX_CALLER_LINES:
        start, end = scope.start, scope.end
    else:
        start, end = max(line - CALLER_WINDOW, 1), min(line + CALLER_WINDOW, len(symbols.lines))
    where = f" in {scope.name}" if scope is not None else ""
    why = f"{'caller' if call else 'use'} of {name}{where}"
    return Candidate(symbols.path, False, start, end, why, score)
