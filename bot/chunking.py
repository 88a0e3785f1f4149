"""Pack rendered diffs into request-sized chunks: split big files, fill requests (pure).

Sizes are counted per hunk from bot.render's exact format without rendering, so a chunk's
estimate is prefix + CHUNK_OVERHEAD_TOKENS + estimate_tokens(render_chunk(chunk)).
"""

from __future__ import annotations

import posixpath
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from bot.models import Chunk, DiffLine, FileDiff, Hunk
from bot.render import LINE_EXTRA, digits, file_header, hunk_header, max_no
from bot.tokens import max_bytes_for, tokens_for, utf8_len

CHUNK_OVERHEAD_TOKENS = 64  # message framing around a chunk: role markers, delimiters
TRUNCATION_NOTE = " [line truncated: {} more characters]"

_PART_RESERVE = len(", part 99999/99999")  # the header of a piece grows by its part label


# --- sizes -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _HunkSize:
    hunk: Hunk
    head_bytes: int  # the "@@ … @@" line with its newline
    lines: int
    text_bytes: int
    max_no: int
    changed: int

    def cost(self, width: int) -> tuple[int, int]:
        """(bytes, newlines) of this hunk rendered with number columns `width` wide."""
        per_line = 2 * width + LINE_EXTRA
        return self.head_bytes + self.lines * per_line + self.text_bytes, 1 + self.lines


def _size(hunk: Hunk) -> _HunkSize:
    text_bytes = changed = 0
    for ln in hunk.lines:
        text_bytes += utf8_len(ln.text)
        changed += ln.kind != "context"
    head = utf8_len(hunk_header(hunk)) + 1
    return _HunkSize(hunk, head, len(hunk.lines), text_bytes, max_no(hunk), changed)


@dataclass(frozen=True, slots=True)
class Piece:
    """A file, or one part of a split file, with the exact size of its rendering."""

    file: FileDiff  # carries only this piece's hunks
    part: str  # "part k/n", or "" for a whole file
    index: int  # k, or 0 for a whole file: orders the parts of one file
    nbytes: int  # of render_file(file, part=part)
    newlines: int
    changed: int

    @property
    def tokens(self) -> int:
        """Its estimate inside a chunk, counting the empty line that separates blocks."""
        return tokens_for(self.nbytes + 1, self.newlines + 1)


def _piece(file: FileDiff, sizes: Sequence[_HunkSize], *, part: str = "", index: int = 0) -> Piece:
    width = digits(max((s.max_no for s in sizes), default=1))
    nbytes, newlines = utf8_len(file_header(file, part or None)) + 1, 1
    for s in sizes:
        b, n = s.cost(width)
        nbytes, newlines = nbytes + b, newlines + n
    return Piece(file, part, index, nbytes, newlines, sum(s.changed for s in sizes))


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
    sizes = [_size(h) for h in file.hunks]
    whole = _piece(file, sizes)
    if whole.tokens <= capacity or not sizes:
        return (whole,)
    # Columns as wide as the whole file's: never narrower than any part's, so never under.
    width = digits(max(s.max_no for s in sizes))
    fixed = (utf8_len(file_header(file, None)) + _PART_RESERVE + 2, 2)
    groups: list[list[_HunkSize]] = [[]]
    used = fixed
    for unit in _units_of(sizes, width=width, fixed=fixed, capacity=capacity):
        b, n = unit.cost(width)
        if groups[-1] and tokens_for(used[0] + b, used[1] + n) > capacity:
            groups.append([])
            used = fixed
        groups[-1].append(unit)
        used = (used[0] + b, used[1] + n)
    total = len(groups)
    return tuple(
        _piece(
            file.model_copy(update={"hunks": tuple(s.hunk for s in group)}),
            group,
            part=f"part {k}/{total}",
            index=k,
        )
        for k, group in enumerate(groups, start=1)
    )


def _units_of(
    sizes: Iterable[_HunkSize], *, width: int, fixed: tuple[int, int], capacity: int
) -> Iterable[_HunkSize]:
    for s in sizes:
        b, n = s.cost(width)
        if tokens_for(fixed[0] + b, fixed[1] + n) <= capacity:
            yield s
        else:
            yield from _windows(s.hunk, width=width, fixed=fixed, capacity=capacity)


def _windows(hunk: Hunk, *, width: int, fixed: tuple[int, int], capacity: int) -> list[_HunkSize]:
    """Cut a hunk into consecutive line windows that each fit a chunk on their own."""
    top = max(max_no(hunk), hunk.old_start + hunk.old_len, hunk.new_start + hunk.new_len)
    head = len(f"@@ -{top},{top} +{top},{top} @@ {hunk.section}") + 1  # the widest header
    base = (fixed[0] + head, fixed[1] + 1)
    per_line = 2 * width + LINE_EXTRA
    windows: list[list[DiffLine]] = [[]]
    used = base
    for ln in hunk.lines:
        cost = per_line + utf8_len(ln.text)
        if windows[-1] and tokens_for(used[0] + cost, used[1] + 1) > capacity:
            windows.append([])
            used = base
        if tokens_for(base[0] + cost, base[1] + 1) > capacity:
            room = max_bytes_for(capacity, newlines=base[1] + 1) - base[0] - per_line
            ln = _truncate(ln, room)
            cost = per_line + utf8_len(ln.text)
        windows[-1].append(ln)
        used = (used[0] + cost, used[1] + 1)
    return [_size(h) for h in _window_hunks(hunk, windows)]


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
    singles: list[_Item] = [(p.tokens, (p.file.path, p.index), (p,)) for ps in pieces for p in ps]
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
    joins = len(pieces) - 1
    nbytes = sum(p.nbytes for p in pieces) + joins
    newlines = sum(p.newlines for p in pieces) + joins
    return Chunk(
        files=tuple(p.file for p in pieces),
        parts=tuple(p.part for p in pieces),
        changed_lines=sum(p.changed for p in pieces),
        estimated_tokens=prefix_tokens + CHUNK_OVERHEAD_TOKENS + tokens_for(nbytes, newlines),
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
