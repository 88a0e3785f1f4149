"""Realistic diffs built in code, and the generic checker of a chunk plan."""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Sequence

from bot.diff.render import render_chunk, render_file
from bot.models import Chunk, DiffLine, FileDiff, Hunk
from bot.plan.chunking import CHUNK_OVERHEAD_TOKENS, coverage_problems
from bot.tokens import estimate_tokens

# --- realistic diffs built in code -------------------------------------------------------

WORDS = [
    "request",
    "handler",
    "config",
    "client",
    "token",
    "cache",
    "index",
    "value",
    "result",
    "error",
    "parser",
]
NON_ASCII = ("naïve café", "数据 处理", "emoji 🎉 ok", "Grüße")


def code_line(rnd: random.Random, length: int = 40) -> str:
    words = []
    while sum(len(w) + 1 for w in words) < length:
        words.append(rnd.choice(WORDS))
    if rnd.random() < 0.03:
        words.append(rnd.choice(NON_ASCII))
    return "    " + " = ".join(words[:2]) + "(" + ", ".join(words[2:]) + ")"


def make_hunk(
    rnd: random.Random, old_start: int, new_start: int, blocks: Sequence[tuple[int, int]]
) -> Hunk:
    """Three context lines, then (removed, added) blocks separated by context, then three."""
    lines: list[DiffLine] = []
    old, new = old_start, new_start

    def context(count: int) -> None:
        nonlocal old, new
        for _ in range(count):
            lines.append(DiffLine(kind="context", old_no=old, new_no=new, text=code_line(rnd)))
            old, new = old + 1, new + 1

    context(3)
    for i, (removed, added) in enumerate(blocks):
        if i:
            context(2)
        for _ in range(removed):
            lines.append(DiffLine(kind="removed", old_no=old, new_no=None, text=code_line(rnd)))
            old += 1
        for _ in range(added):
            lines.append(DiffLine(kind="added", old_no=None, new_no=new, text=code_line(rnd)))
            new += 1
    context(3)
    return Hunk(
        old_start=old_start,
        old_len=old - old_start,
        new_start=new_start,
        new_len=new - new_start,
        section=f"def {rnd.choice(WORDS)}():",
        lines=tuple(lines),
    )


def make_modified(
    rnd: random.Random, path: str, hunks: Sequence[Sequence[tuple[int, int]]], **kw: object
) -> FileDiff:
    out, old, delta = [], 1, 0
    for blocks in hunks:
        old += rnd.randint(5, 80)
        hunk = make_hunk(rnd, old, old + delta, blocks)
        out.append(hunk)
        old += hunk.old_len
        delta += hunk.new_len - hunk.old_len
    return FileDiff(path=path, hunks=tuple(out), **kw)  # type: ignore[arg-type]


def make_added(path: str, texts: Sequence[str]) -> FileDiff:
    lines = tuple(
        DiffLine(kind="added", old_no=None, new_no=i, text=t) for i, t in enumerate(texts, 1)
    )
    hunk = Hunk(old_start=0, old_len=0, new_start=1, new_len=len(lines), lines=lines)
    return FileDiff(path=path, status="added", hunks=(hunk,))


@functools.cache
def make_pr(seed: int, files: int) -> tuple[FileDiff, ...]:
    """A PR shaped like real big ones: many dirs and sizes, multi-hunk files, outliers."""
    rnd = random.Random(seed)
    out = []
    for i in range(files):
        path = f"{rnd.choice(['src', 'lib', 'tests', 'docs'])}/m{rnd.randrange(25)}/f{i}.py"
        roll = rnd.random()
        if roll < 0.1:
            out.append(make_added(path, [code_line(rnd) for _ in range(rnd.randint(5, 300))]))
        else:
            hunks = [
                [(rnd.randint(0, 6), rnd.randint(0, 10)) for _ in range(rnd.randint(1, 3))]
                for _ in range(rnd.randint(1, 8))
            ]
            out.append(make_modified(rnd, path, hunks))
    # Outliers: one giant hunk, one file of many mid-sized hunks, one 1 MB line.
    out.append(make_modified(rnd, "src/core/engine.py", [[(800, 6000)]]))
    out.append(make_modified(rnd, "src/core/many.py", [[(20, 60)]] * 40))
    out.append(make_added("web/dist/app.min.js", ["var a=" + "x" * 1_000_000]))
    return tuple(out)


# --- the generic checker -----------------------------------------------------------------


def piece_entries(chunks: Sequence[Chunk]) -> list[tuple[FileDiff, str]]:
    return [(f, p) for c in chunks for f, p in zip(c.files, c.parts, strict=True)]


def part_index(part: str) -> int:
    """k of "part k/n"; 0 for a whole file."""
    return int(part.split()[1].split("/")[0]) if part else 0


def in_part_order(chunks: Sequence[Chunk]) -> list[FileDiff]:
    return [
        f for f, _ in sorted(piece_entries(chunks), key=lambda e: (e[0].path, part_index(e[1])))
    ]


def assert_hunk_numbers(hunk: Hunk) -> None:
    olds = [ln.old_no for ln in hunk.lines if ln.old_no is not None]
    news = [ln.new_no for ln in hunk.lines if ln.new_no is not None]
    assert olds == list(range(hunk.old_start, hunk.old_start + hunk.old_len))
    assert news == list(range(hunk.new_start, hunk.new_start + hunk.new_len))


def check_chunks(
    files: Sequence[FileDiff], chunks: Sequence[Chunk], *, budget: int, prefix: int
) -> None:
    """Properties every plan must have, whatever the input."""
    assert coverage_problems(files, chunks) == []  # (a) every changed line exactly once
    by_path = {f.path: f for f in files}
    for chunk in chunks:
        assert chunk.estimated_tokens <= budget  # (b)
        rendered = render_chunk(chunk)
        # The estimate is exact for the text we send, not a guess about it.
        assert chunk.estimated_tokens == prefix + CHUNK_OVERHEAD_TOKENS + estimate_tokens(rendered)
        keys = [(f.path, part_index(p)) for f, p in zip(chunk.files, chunk.parts, strict=True)]
        assert keys == sorted(keys)
        assert chunk.changed_lines == sum(f.changed_lines for f in chunk.files)
    for piece, part in piece_entries(chunks):
        original = by_path[piece.path]
        assert piece.model_dump(exclude={"hunks"}) == original.model_dump(exclude={"hunks"})
        if not part:
            assert piece == original
            continue
        for hunk in piece.hunks:
            assert_hunk_numbers(hunk)  # windows carry correct starts and lengths (e)
            assert hunk in original.hunks or is_window_of(hunk, original)


def is_window_of(window: Hunk, original: FileDiff) -> bool:
    """A contiguous run of one original hunk's lines (a truncated line keeps its numbers)."""
    for hunk in original.hunks:
        keys = [(ln.kind, ln.old_no, ln.new_no) for ln in hunk.lines]
        mine = [(ln.kind, ln.old_no, ln.new_no) for ln in window.lines]
        if mine and mine[0] in keys:
            start = keys.index(mine[0])
            if keys[start : start + len(mine)] == mine and window.section == hunk.section:
                return True
    return False


def lower_bound(chunks: Sequence[Chunk], *, budget: int, prefix: int) -> int:
    """ceil(sum of per-file/per-piece estimates / (budget - prefix))."""
    entries = piece_entries(chunks)
    total = sum(estimate_tokens(render_file(f, part=p or None) + "\n") for f, p in entries)
    return math.ceil(total / (budget - prefix))
