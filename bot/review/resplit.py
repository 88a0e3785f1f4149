"""Ask again, in smaller slices, about chunks the server says are over the model's context."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace

from bot.model.prompt import chunk_text
from bot.models import Chunk, ChunkResult, ContextOverflow, Usage
from bot.plan.build import input_budget
from bot.plan.chunking import CHUNK_OVERHEAD_TOKENS, plan_chunks
from bot.tokens import estimate_tokens

# The estimate runs above real token counts, but the model's tokenizer is not published, and
# a server may hold less than --context-tokens says: if the server still refuses a chunk as
# too long, its files are planned again, for the context the server states when it states
# one (llama.cpp and vLLM do), else at half the budget; twice at most, so no changed line is
# dropped for want of a smaller request.
MAX_SPLITS = 2

Ask = Callable[[Sequence[str], Sequence[str]], Awaitable[list["ChunkResult"]]]


@dataclass(frozen=True)
class _Work:
    index: int  # the planned chunk this text belongs to
    chunk: Chunk
    text: str
    depth: int = 0
    slice_of: str = ""  # "" for a planned chunk; "2 of 2" (or "2 of 2, 1 of 3") for its slices


@dataclass(frozen=True)
class Window:
    """The run's context window and output limit, for re-planning refused chunks."""

    context_tokens: int
    max_output_tokens: int


def halves(chunk: Chunk, *, prefix_tokens: int) -> tuple[Chunk, ...]:
    """`chunk`'s files planned again at about half its size (one chunk back: it cannot split).
    A little over half, so two equal files become two chunks, not four. Halves carry no
    repository context: the server refused a request our estimate said fits, so what is
    sent again must shrink, and the diff is what has to get through."""
    body = chunk.estimated_tokens - chunk.context_tokens - prefix_tokens - CHUNK_OVERHEAD_TOKENS
    budget = prefix_tokens + CHUNK_OVERHEAD_TOKENS + max(body * 11 // 20, 1)
    return _replanned(chunk, budget=budget, prefix_tokens=prefix_tokens)


def fitted(
    chunk: Chunk, overflow: ContextOverflow, *, prefix_tokens: int, window: Window
) -> tuple[Chunk, ...] | None:
    """`chunk`'s files planned again for the context the server stated (its n_ctx less the
    output limit and the margin), with our estimates scaled up by however much the server
    counted more than we did. () when no request fits that context; None when the server
    did not state it."""
    if not overflow.n_ctx:
        return None
    budget = input_budget(min(overflow.n_ctx, window.context_tokens), window.max_output_tokens)
    if overflow.prompt_tokens and overflow.prompt_tokens > chunk.estimated_tokens:
        budget = budget * chunk.estimated_tokens // overflow.prompt_tokens
    if budget <= prefix_tokens + CHUNK_OVERHEAD_TOKENS:
        return ()
    return _replanned(chunk, budget=budget, prefix_tokens=prefix_tokens)


def _replanned(chunk: Chunk, *, budget: int, prefix_tokens: int) -> tuple[Chunk, ...]:
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
    window: Window,
    ask: Ask,
) -> list[ChunkResult]:
    """`ask(texts, labels)` about every chunk; a chunk refused as too long is asked about again
    in smaller slices: fitted to the context the server stated, else halved. One result per
    planned chunk, in order, its parts merged."""
    work = [_Work(i, c, t) for i, (c, t) in enumerate(zip(chunks, texts, strict=True))]
    done: dict[int, list[ChunkResult]] = {i: [] for i in range(len(chunks))}
    while work:
        results = await ask([w.text for w in work], [_label(w) for w in work])
        again: list[_Work] = []
        for w, result in zip(work, results, strict=True):
            if not result.too_long:
                done[w.index].append(result)
                continue
            overflow = result.overflow or ContextOverflow()
            parts = fitted(w.chunk, overflow, prefix_tokens=prefix_tokens, window=window)
            if parts == ():
                done[w.index].append(
                    replace(result, error=_no_room_error(result, overflow, window))
                )
                continue
            if parts is None or len(parts) == 1:
                parts = halves(w.chunk, prefix_tokens=prefix_tokens)
            if len(parts) > 1 and w.depth < MAX_SPLITS:
                done[w.index].append(replace(result, error=None, too_long=False))  # its usage
                n = len(parts)
                again += [_slice(w, p, k, n, total=len(chunks)) for k, p in enumerate(parts)]
            else:
                done[w.index].append(replace(result, error=_too_long_error(result, w, overflow)))
        work = again
    return [_merge(i, done[i]) for i in range(len(chunks))]


def _slice(w: _Work, chunk: Chunk, k: int, n: int, *, total: int) -> _Work:
    label = f"{w.slice_of}, {k + 1} of {n}" if w.slice_of else f"{k + 1} of {n}"
    text = chunk_text(chunk, index=w.index, total=total, slice_of=label)
    return _Work(w.index, chunk, text, w.depth + 1, label)


def _too_long_error(result: ChunkResult, w: _Work, overflow: ContextOverflow) -> str:
    if overflow.n_ctx:
        why = f"even re-planned for the server's context of {overflow.n_ctx:,} tokens"
    elif w.depth:
        why = f"even at 1/{2**w.depth} of its planned size"
    else:
        why = "unsplittable"
    return f"{result.error} (too long for the model's context, {why})"


def _no_room_error(result: ChunkResult, overflow: ContextOverflow, window: Window) -> str:
    return (
        f"{result.error} (the server's context of {overflow.n_ctx:,} tokens leaves no room "
        f"for the prompt and a {window.max_output_tokens:,}-token reply: lower "
        "--max-output-tokens, or give the server a larger context)"
    )


def _label(w: _Work) -> str:
    """How errors name a request: its planned chunk's number, the slice, the files."""
    sliced = f" slice {w.slice_of}" if w.slice_of else ""
    return f"chunk {w.index + 1}{sliced} ({', '.join(f.path for f in w.chunk.files)})"


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
        mode=next((p.mode for p in reversed(parts) if p.mode), None),
        dropped=sum(p.dropped for p in parts),
        notes=tuple(n for p in parts for n in p.notes),
    )
