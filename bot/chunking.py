"""Pack rendered diffs into request-sized chunks: split big files, fill requests (pure).

Costs are computed per hunk from bot.render's exact format without rendering, so a chunk's
estimate is prefix + CHUNK_OVERHEAD_TOKENS + estimate_tokens(render_chunk(chunk)).
"""

from __future__ import annotations

import posixpath
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from bot.models import Chunk, DiffLine, FileDiff, Hunk
from bot.render import digits, file_header, hunk_header, max_no
from bot.tokens import MAX_UNITS_PER_BYTE, SHARES, UNIT, text_cost, tokens_of

CHUNK_OVERHEAD_TOKENS = 64  # message framing around a chunk: role markers, delimiters
TRUNCATION_NOTE = " [line truncated: {} more characters]"

_WIDEST_PART = "part 99999/99999"  # costs no less than any real part label


# --- sizes -------------------------------------------------------------------------------
#
# Costs are in bot.tokens units and equal text_cost of the rendered text, computed without
# rendering it: a hunk's code is costed as one text, then each line's `OLD NEW |M` columns
# are added by arithmetic on its kind, its numbers and the column width.

_RUNS = {"context": 6, "added": 4, "removed": 3}  # runs in the columns, besides a pad run
_DIGIT, _OTHER, _NEWLINE = SHARES["d"], SHARES["s"], SHARES["n"]  # the columns' byte shares
assert SHARES["p"] == _OTHER  # the columns are digits, spaces, "|" and the marker
# Where the columns meet the code a new run starts, unless the code's first character is of
# the class the columns end in (a space for context, "+"/"-" otherwise) or, after a space,
# a letter (" word" is one run).
_JOINS_AFTER_SPACE = {c for c in map(chr, range(128)) if c in " \t\r" or c.isalpha()}
_JOINS_AFTER_MARK = {c for c in map(chr, range(128)) if not (c.isalnum() or c in " \t\r\n")}


@dataclass(frozen=True, slots=True)
class _HunkSize:
    hunk: Hunk
    base: int  # units: the code as one text, and the runs that do not depend on the width
    lines: int
    digits: int  # digits of all line numbers in the columns
    olds: tuple[int, int]  # (first, count) of the old line numbers, for pad runs
    max_no: int
    changed: int

    def cost(self, width: int) -> int:
        """Units of this hunk rendered with number columns `width` wide."""
        # An old number narrower than the column starts the line with a run of pad spaces
        # (an added line's blank old column is in _RUNS already).
        pads = self.olds[1] - _count_with_digits(*self.olds, width)
        other = self.lines * (2 * width + 4) - self.digits  # spaces, "|" and markers
        return self.base + pads * UNIT + self.digits * _DIGIT + other * _OTHER


def _size(hunk: Hunk) -> _HunkSize:
    texts = [ln.text for ln in hunk.lines]
    runs = changed = 0
    for ln in hunk.lines:
        kind, first = ln.kind, ln.text[:1]
        runs += _RUNS[kind]
        if kind == "context":
            runs += first not in _JOINS_AFTER_SPACE
        else:
            changed += 1
            runs += first not in _JOINS_AFTER_MARK
    # Joined, each non-empty code line starts a run after its newline; rendered, that run is
    # the join with the columns counted above.
    runs -= sum(1 for t in texts if t)
    joined = "\n".join([hunk_header(hunk), *texts, ""])
    olds = (hunk.old_start, hunk.old_len) if hunk.old_len else (1, 0)
    news = (hunk.new_start, hunk.new_len) if hunk.new_len else (1, 0)
    return _HunkSize(
        hunk,
        base=text_cost(joined) + runs * UNIT,
        lines=len(texts),
        digits=_digit_total(*olds) + _digit_total(*news),
        olds=olds,
        max_no=max_no(hunk),
        changed=changed,
    )


def _count_with_digits(first: int, count: int, width: int) -> int:
    """How many of first .. first + count - 1 have exactly `width` digits."""
    low, high = max(first, int(10 ** (width - 1))), min(first + count - 1, int(10**width) - 1)
    return max(high - low + 1, 0)


def _digit_total(first: int, count: int) -> int:
    if not count:
        return 0
    low, high = len(str(first)), len(str(first + count - 1))
    return sum(k * _count_with_digits(first, count, k) for k in range(low, high + 1))


def _prefix_units(kind: str, width: int) -> int:
    """At most what one line's columns add (pad run, widest numbers, a new run after)."""
    numbers = 2 if kind == "context" else 1
    shares = numbers * width * _DIGIT + (2 * width + 4 - numbers * width) * _OTHER
    return (_RUNS[kind] + 2) * UNIT + shares


@dataclass(frozen=True, slots=True)
class Piece:
    """A file, or one part of a split file, with an upper bound of its rendering's cost."""

    file: FileDiff  # carries only this piece's hunks
    part: str  # "part k/n", or "" for a whole file
    index: int  # k, or 0 for a whole file: orders the parts of one file
    units: int  # of render_file(file, part=part), in bot.tokens units
    changed: int

    @property
    def tokens(self) -> int:
        """Its estimate inside a chunk, counting the empty line that separates blocks."""
        return tokens_of(self.units + _NEWLINE)


def _piece(file: FileDiff, sizes: Sequence[_HunkSize], *, part: str = "", index: int = 0) -> Piece:
    width = digits(max((s.max_no for s in sizes), default=1))
    units = text_cost(file_header(file, part or None) + "\n")
    units += sum(s.cost(width) for s in sizes)
    return Piece(file, part, index, units, sum(s.changed for s in sizes))


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
    limit = capacity * UNIT
    fixed = text_cost(file_header(file, _WIDEST_PART) + "\n") + _NEWLINE  # + the separator
    groups: list[list[_HunkSize]] = [[]]
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
        _piece(
            file.model_copy(update={"hunks": tuple(s.hunk for s in group)}),
            group,
            part=f"part {k}/{total}",
            index=k,
        )
        for k, group in enumerate(groups, start=1)
    )


def _units_of(
    sizes: Iterable[_HunkSize], *, width: int, fixed: int, limit: int
) -> Iterable[_HunkSize]:
    for s in sizes:
        if fixed + s.cost(width) <= limit:
            yield s
        else:
            yield from _windows(s.hunk, width=width, fixed=fixed, limit=limit)


def _windows(hunk: Hunk, *, width: int, fixed: int, limit: int) -> list[_HunkSize]:
    """Cut a hunk into consecutive line windows that each fit a chunk on their own."""
    top = max(max_no(hunk), hunk.old_start + hunk.old_len, hunk.new_start + hunk.new_len)
    widest = f"@@ -{top},{top} +{top},{top} @@ {hunk.section}".rstrip()
    base = fixed + text_cost(widest + "\n")
    windows: list[list[DiffLine]] = [[]]
    used = base
    for ln in hunk.lines:
        columns = _prefix_units(ln.kind, width)
        cost = columns + text_cost(ln.text + "\n")
        if base + cost > limit:
            ln = _truncate(ln, (limit - base - columns - UNIT) // MAX_UNITS_PER_BYTE)
            cost = columns + text_cost(ln.text + "\n")
        if windows[-1] and used + cost > limit:
            windows.append([])
            used = base
        windows[-1].append(ln)
        used += cost
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
    # Blocks are one empty line apart: a newline that joins the run of the one before it.
    units = sum(p.units for p in pieces) + (len(pieces) - 1) * _NEWLINE
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
