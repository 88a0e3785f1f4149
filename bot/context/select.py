"""Context for one chunk: rank the candidates, drop every line shown already, fit the budget.

Rules: a line appears at most once per request, counting the chunk's own diff (added,
removed and unchanged lines alike); candidates go in by score, and one that does not fit is
passed over for smaller ones after it; pieces that touch are merged, their reasons joined.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.context.candidates import Candidate, find_candidates, shown_lines
from bot.context.index import SymbolIndex
from bot.context.symbols import runs
from bot.models import ContextPiece, FileDiff

MAX_REASONS = 3  # reasons named in a piece's header; the rest are counted

Measure = Callable[[ContextPiece], int]
Lines = Callable[[str, bool], Sequence[str] | None]
Twin = Callable[[str, bool, int], tuple[str, bool, int] | None]
_Key = tuple[str, bool]


def select_context(
    files: Sequence[FileDiff],
    index: SymbolIndex,
    *,
    budget_tokens: int,
    measure: Measure,
) -> tuple[ContextPiece, ...]:
    """The context pieces for a chunk of `files` whose measures sum to at most
    `budget_tokens`, in path order."""
    if budget_tokens <= 0:
        return ()
    return fit_candidates(
        find_candidates(files, index),
        shown=shown_lines(files),
        lines=index.redacted_lines,
        budget_tokens=budget_tokens,
        measure=measure,
        twin=index.twin,
    )


def fit_candidates(
    candidates: Sequence[Candidate],
    *,
    shown: dict[_Key, set[int]],
    lines: Lines,
    budget_tokens: int,
    measure: Measure,
    twin: Twin | None = None,
) -> tuple[ContextPiece, ...]:
    """Greedy by score: each candidate adds its lines not shown yet, if they fit. `twin` maps
    an unchanged line to the same line on the other side of the diff, so that a line is not
    shown again from the base when the head's copy is shown (or the other way round)."""
    covered = {key: set(numbers) for key, numbers in shown.items()}

    def seen(key: _Key, n: int) -> bool:
        if n in covered.get(key, ()):
            return True
        other = twin(key[0], key[1], n) if twin is not None else None
        return other is not None and other[2] in covered.get(other[:2], ())

    accepted: list[tuple[Candidate, list[int]]] = []
    used = 0
    for c in sorted(candidates, key=lambda c: (-c.score, c.path, c.base, c.start)):
        text = lines(c.path, c.base)
        if text is None:
            continue
        key = (c.path, c.base)
        new = [n for n in range(max(c.start, 1), min(c.end, len(text)) + 1) if not seen(key, n)]
        new = [n for s, e in runs(new) for n in _trimmed(s, e, text)]
        if not new:
            continue
        cost = sum(measure(_piece(c.path, c.base, s, e, (c.reason,), text)) for s, e in runs(new))
        if used + cost > budget_tokens:
            continue
        used += cost
        covered.setdefault(key, set()).update(new)
        accepted.append((c, new))
    # Merged pieces share headers, so they measure no more than the parts, except when
    # joined reasons lengthen a header: drop the last accepted until the whole fits.
    while accepted:
        pieces = _assemble(accepted, lines)
        if sum(measure(p) for p in pieces) <= budget_tokens:
            return pieces
        accepted.pop()
    return ()


def _trimmed(start: int, end: int, text: Sequence[str]) -> range:
    """start..end without blank lines at either end (a gap between two functions alone is
    not worth a header)."""
    while start <= end and not text[start - 1].strip():
        start += 1
    while end >= start and not text[end - 1].strip():
        end -= 1
    return range(start, end + 1)


def _assemble(
    accepted: Sequence[tuple[Candidate, list[int]]], lines: Lines
) -> tuple[ContextPiece, ...]:
    by_key: dict[_Key, dict[int, Candidate]] = {}
    for c, numbers in accepted:
        owners = by_key.setdefault((c.path, c.base), {})
        for n in numbers:
            owners[n] = c
    pieces = []
    for (path, base), owners in sorted(by_key.items()):
        text = lines(path, base)
        assert text is not None  # every accepted candidate's lines were read
        for start, end in runs(sorted(owners)):
            reasons = list(dict.fromkeys(owners[n].reason for n in range(start, end + 1)))
            pieces.append(_piece(path, base, start, end, tuple(reasons), text))
    return tuple(pieces)


def _piece(
    path: str, base: bool, start: int, end: int, reasons: tuple[str, ...], text: Sequence[str]
) -> ContextPiece:
    if len(reasons) > MAX_REASONS:
        reasons = (*reasons[:MAX_REASONS], f"{len(reasons) - MAX_REASONS} more")
    return ContextPiece(
        path=path,
        start=start,
        end=end,
        base=base,
        reasons=reasons,
        text="\n".join(text[start - 1 : end]),
    )
