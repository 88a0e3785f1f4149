"""Pack rendered diffs into request-sized chunks: split big files, fill requests (pure).

Costs are computed per hunk from bot.diff.render's exact format without rendering, so a chunk's
estimate is prefix + CHUNK_OVERHEAD_TOKENS + estimate_tokens(render_chunk(chunk)).
"""

from __future__ import annotations

import posixpath
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace

from bot.diff.render import digits, file_header, max_no
from bot.models import Chunk, DiffLine, FileDiff, Hunk
from bot.plan.sizes import NEWLINE_UNITS, HunkSize, Piece, hunk_size, make_piece, prefix_units
from bot.tokens import MAX_UNITS_PER_BYTE, UNIT, text_cost, tokens_of

CHUNK_OVERHEAD_TOKENS = 64  # message framing around a chunk: role markers, delimiters
TRUNCATION_NOTE = " [line truncated: {} more characters]"

_WIDEST_PART = "part 99999/99999"  # costs no less than any real part label


# --- splitting ---------------------------------------------------------------------------


def chunk_capacity(*, budget_tokens: int, prefix_tokens: int) -> int:
    """Tokens the diff text of one chunk may take."""
    return budget_tokens - prefix_tokens - CHUNK_OVERHEAD_TOKENS


def split_into_pieces(
    files: Sequence[FileDiff], *, budget_tokens: int, prefix_tokens: int
) -> list[tuple[Piece, ...]]:
    """Per file: itself as one piece when it fits a chunk, else its parts in order."""
    capacity = chunk_capacity(budget_tokens=budget_tokens, prefix_tokens=prefix_tokens)
    return [_file_pieces(f, capacity) for f in files]


def _file_pieces(file: FileDiff, capacity: int) -> tuple[Piece, ...]:
    sizes = [hunk_size(h) for h in file.hunks]
    whole = make_piece(file, sizes)
    if whole.tokens <= capacity or not sizes:
        return (whole,)
    # Columns as wide as the whole file's: never narrower than any part's, so never under.
    width = digits(max(s.max_no for s in sizes))
    limit = capacity * UNIT
    fixed = text_cost(file_header(file, _WIDEST_PART) + "\n") + NEWLINE_UNITS  # + the separator
    groups: list[list[HunkSize]] = [[]]
    used = fixed
    for unit in _units_of(sizes, width=width, fixed=fixed, limit=limit):
        cost = unit.cost(width)
        if groups[-1] and used + cost > limit:
            groups.append([])
            used = fixed
        groups[-1].append(unit)
        used += cost
    total = len(groups)
    return tuple(
        make_piece(
            file.model_copy(update={"hunks": tuple(s.hunk for s in group)}),
            group,
            part=f"part {k}/{total}",
            index=k,
        )
        for k, group in enumerate(groups, start=1)
    )


def _units_of(
    sizes: Iterable[HunkSize], *, width: int, fixed: int, limit: int
) -> Iterable[HunkSize]:
    for s in sizes:
        if fixed + s.cost(width) <= limit:
            yield s
        else:
            yield from _windows(s.hunk, width=width, fixed=fixed, limit=limit)


def _windows(hunk: Hunk, *, width: int, fixed: int, limit: int) -> list[HunkSize]:
    """Cut a hunk into consecutive line windows that each fit a chunk on their own."""
    top = max(max_no(hunk), hunk.old_start + hunk.old_len, hunk.new_start + hunk.new_len)
    widest = f"@@ -{top},{top} +{top},{top} @@ {hunk.section}".rstrip()
    base = fixed + text_cost(widest + "\n")
    windows: list[list[DiffLine]] = [[]]
    used = base
    for ln in hunk.lines:
        columns = prefix_units(ln.kind, width)
        cost = columns + text_cost(ln.text + "\n")
        if base + cost > limit:
            ln = _truncate(ln, (limit - base - columns - UNIT) // MAX_UNITS_PER_BYTE)
            cost = columns + text_cost(ln.text + "\n")
        if windows[-1] and used + cost > limit:
            windows.append([])
            used = base
        windows[-1].append(ln)
        used += cost
    return [hunk_size(h) for h in _window_hunks(hunk, windows)]


def _truncate(line: DiffLine, max_bytes: int) -> DiffLine:
    text = line.text
    keep = max(max_bytes - len(TRUNCATION_NOTE.format(len(text))), 0)
    if text.isascii():
        kept = text[:keep]
    else:  # cut on a character boundary
        kept = text.encode("utf-8", errors="replace")[:keep].decode("utf-8", errors="ignore")
    note = TRUNCATION_NOTE.format(len(text) - len(kept))
    return replace(line, text=kept + note)


def _window_hunks(hunk: Hunk, windows: Sequence[Sequence[DiffLine]]) -> Iterable[Hunk]:
    # "Next" old/new numbers; a side with no lines in a window starts one before it (git's
    # convention for empty ranges, e.g. "-0,0" for a new file).
    old_next = hunk.old_start if hunk.old_len else hunk.old_start + 1
    new_next = hunk.new_start if hunk.new_len else hunk.new_start + 1
    for lines in windows:
        olds = [ln.old_no for ln in lines if ln.old_no is not None]
        news = [ln.new_no for ln in lines if ln.new_no is not None]
        yield Hunk.model_construct(
            old_start=olds[0] if olds else old_next - 1,
            old_len=len(olds),
            new_start=news[0] if news else new_next - 1,
            new_len=len(news),
            section=hunk.section,
            lines=tuple(lines),
        )
        old_next = olds[-1] + 1 if olds else old_next
        new_next = news[-1] + 1 if news else new_next


# --- packing -----------------------------------------------------------------------------


def plan_chunks(
    files: Sequence[FileDiff], *, budget_tokens: int, prefix_tokens: int
) -> tuple[Chunk, ...]:
    """Pack every changed line of `files` into chunks whose whole request fits the budget."""
    pieces = split_into_pieces(files, budget_tokens=budget_tokens, prefix_tokens=prefix_tokens)
    return pack_pieces(pieces, budget_tokens=budget_tokens, prefix_tokens=prefix_tokens)


def pack_pieces(
    pieces: Sequence[Sequence[Piece]], *, budget_tokens: int, prefix_tokens: int
) -> tuple[Chunk, ...]:
    """First-fit decreasing; whole directories as items when that costs ~no extra request."""
    capacity = chunk_capacity(budget_tokens=budget_tokens, prefix_tokens=prefix_tokens)
    if not any(pieces):
        return ()
    by_file = _first_fit_decreasing(_items(pieces, capacity, grouped=False), capacity)
    by_dir = _first_fit_decreasing(_items(pieces, capacity, grouped=True), capacity)
    total = sum(p.tokens for ps in pieces for p in ps)
    lower = -(-total // max(budget_tokens - prefix_tokens, 1))
    allowed = min(len(by_file) + len(by_file) // 20, -(-11 * lower // 10))
    best = by_dir if len(by_dir) <= max(len(by_file), allowed) else by_file
    ordered = sorted((sorted(b, key=_piece_key) for b in best), key=lambda b: _piece_key(b[0]))
    return tuple(_chunk(b, prefix_tokens) for b in ordered)


_Item = tuple[int, tuple[str, int], tuple[Piece, ...]]  # (tokens, tie-break key, pieces)


def _items(pieces: Sequence[Sequence[Piece]], capacity: int, *, grouped: bool) -> list[_Item]:
    singles: list[_Item] = [(p.tokens, _piece_key(p), (p,)) for ps in pieces for p in ps]
    if not grouped:
        return singles
    groups: defaultdict[str, list[_Item]] = defaultdict(list)
    for item in singles:
        groups[posixpath.dirname(item[1][0])].append(item)
    items: list[_Item] = []
    for members in groups.values():
        size = sum(m[0] for m in members)
        if size <= capacity:
            items.append(
                (size, min(m[1] for m in members), tuple(p for m in members for p in m[2]))
            )
        else:
            items.extend(members)
    return items


def _first_fit_decreasing(items: list[_Item], capacity: int) -> list[list[Piece]]:
    bins = _Bins(len(items), capacity)
    out: list[list[Piece]] = []
    for size, _, members in sorted(items, key=lambda it: (-it[0], it[1])):
        # An item over capacity (only a pathological header) gets a bin of its own.
        index = bins.place(min(size, capacity))
        if index == len(out):
            out.append([])
        out[index].extend(members)
    return out


class _Bins:
    """First fit in O(log n): a max-tree of room left; bins not opened yet are empty."""

    def __init__(self, count: int, capacity: int) -> None:
        self._leaves = 1 << max(count - 1, 0).bit_length()
        self._room = [capacity] * (2 * self._leaves)

    def place(self, size: int) -> int:
        node = 1
        while node < self._leaves:
            node = 2 * node if self._room[2 * node] >= size else 2 * node + 1
        self._room[node] -= size
        index = node - self._leaves
        node //= 2
        while node:
            self._room[node] = max(self._room[2 * node], self._room[2 * node + 1])
            node //= 2
        return index


def _piece_key(piece: Piece) -> tuple[str, int]:
    return piece.file.path, piece.index


def _chunk(pieces: list[Piece], prefix_tokens: int) -> Chunk:
    # Blocks are one empty line apart: a newline that joins the run of the one before it.
    units = sum(p.units for p in pieces) + (len(pieces) - 1) * NEWLINE_UNITS
    return Chunk(
        files=tuple(p.file for p in pieces),
        parts=tuple(p.part for p in pieces),
        changed_lines=sum(p.changed for p in pieces),
        estimated_tokens=prefix_tokens + CHUNK_OVERHEAD_TOKENS + tokens_of(units),
    )


# --- checking ----------------------------------------------------------------------------


def _changed_keys(files: Iterable[FileDiff]) -> Iterable[tuple[str, str, int | None, int | None]]:
    for f in files:
        for h in f.hunks:
            for ln in h.lines:
                if ln.kind != "context":
                    yield f.path, ln.kind, ln.old_no, ln.new_no


def coverage_problems(files: Sequence[FileDiff], chunks: Sequence[Chunk]) -> list[str]:
    """Empty when every changed line of `files` is in exactly one chunk and nothing else is."""
    expected = set(_changed_keys(files))
    seen = Counter(k for c in chunks for k in _changed_keys(c.files))
    problems = []
    for label, keys in (
        ("missing", sorted(expected - seen.keys(), key=repr)),
        ("in several chunks", sorted((k for k, n in seen.items() if n > 1), key=repr)),
        ("not in the diff", sorted(seen.keys() - expected, key=repr)),
    ):
        if keys:
            problems.append(f"{len(keys)} changed line(s) {label}, e.g. {keys[0]}")
    return problems
