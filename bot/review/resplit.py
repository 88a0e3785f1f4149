"""Ask again, in halves, about chunks the server says are over the model's context."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace

from bot.model.prompt import chunk_text
from bot.models import Chunk, ChunkResult, Usage
from bot.plan.chunking import CHUNK_OVERHEAD_TOKENS, plan_chunks
from bot.tokens import estimate_tokens

# The estimate runs above real token counts, but the model's tokenizer is not published: if
# the server still refuses a chunk as too long, its files are planned again at half the
# budget, twice at most, so no changed line is dropped for want of a smaller request.
MAX_SPLITS = 2

Ask = Callable[[Sequence[str], Sequence[str]], Awaitable[list["ChunkResult"]]]


@dataclass(frozen=True)
class _Work:
    index: int  # the planned chunk this text belongs to
    chunk: Chunk
    text: str
    depth: int = 0


def halves(chunk: Chunk, *, prefix_tokens: int) -> tuple[Chunk, ...]:
    """`chunk`'s files planned again at about half its size (one chunk back: it cannot split).
    A little over half, so two equal files become two chunks, not four. Halves carry no
    repository context: the server refused a request our estimate said fits, so what is
    sent again must shrink, and the diff is what has to get through."""
    body = chunk.estimated_tokens - chunk.context_tokens - prefix_tokens - CHUNK_OVERHEAD_TOKENS
    budget = prefix_tokens + CHUNK_OVERHEAD_TOKENS + max(body * 11 // 20, 1)
    planned = plan_chunks(chunk.files, budget_tokens=budget, prefix_tokens=prefix_tokens)
    # A piece of a file split by the first plan keeps its label ("part 2/3"): planned again
    # on its own it would read as a whole file, or as part k/n of itself alone.
    labels = {f.path: p for f, p in zip(chunk.files, chunk.parts, strict=True) if p}
    return tuple(_relabelled(c, labels) for c in planned)


def _relabelled(chunk: Chunk, before: dict[str, str]) -> Chunk:
    parts, extra = [], 0
    for file, part in zip(chunk.files, chunk.parts, strict=True):
        first = before.get(file.path, "")
        parts.append(f"{first}, {part}" if first and part else first or part)
        extra += estimate_tokens(first + ", ") + 1 if first else 0  # +1: a run it may split
    update = {"parts": tuple(parts), "estimated_tokens": chunk.estimated_tokens + extra}
    return chunk.model_copy(update=update)


async def ask_with_splits(
    chunks: Sequence[Chunk],
    texts: Sequence[str],
    *,
    prefix_tokens: int,
    ask: Ask,
) -> list[ChunkResult]:
    """`ask(texts, labels)` about every chunk; a chunk refused as too long is asked about again
    in smaller chunks. One result per planned chunk, in order, its parts merged."""
    work = [_Work(i, c, t) for i, (c, t) in enumerate(zip(chunks, texts, strict=True))]
    done: dict[int, list[ChunkResult]] = {i: [] for i in range(len(chunks))}
    while work:
        results = await ask([w.text for w in work], [_label(w.chunk) for w in work])
        again: list[_Work] = []
        for w, result in zip(work, results, strict=True):
            if not result.too_long:
                done[w.index].append(result)
                continue
            parts = halves(w.chunk, prefix_tokens=prefix_tokens)
            if len(parts) > 1 and w.depth < MAX_SPLITS:
                done[w.index].append(replace(result, error=None, too_long=False))  # its usage
                again += [
                    _Work(w.index, p, chunk_text(p, index=w.index, total=len(chunks)), w.depth + 1)
                    for p in parts
                ]
            else:
                why = f"even at 1/{2**w.depth} of its planned size" if w.depth else "unsplittable"
                error = f"{result.error} (too long for the model's context, {why})"
                done[w.index].append(replace(result, error=error))
        work = again
    return [_merge(i, done[i]) for i in range(len(chunks))]


def _label(chunk: Chunk) -> str:
    return ", ".join(f.path for f in chunk.files)


def _merge(index: int, parts: Sequence[ChunkResult]) -> ChunkResult:
    first = parts[0]
    errors = [p.error for p in parts if p.error]
    return replace(
        first,
        index=index,
        findings=tuple(f for p in parts for f in p.findings),
        usage=sum((p.usage for p in parts), Usage()),
        served_model=next((p.served_model for p in parts if p.served_model), None),
        error="; ".join(errors) if errors else None,
        too_long=any(p.too_long and p.error for p in parts),
    )
