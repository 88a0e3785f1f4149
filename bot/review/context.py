"""Repository context into a planned review: each chunk gets what its request leaves free.

The plan is made without context, so context never displaces a changed line or adds a
request: per chunk it gets min(context.max_tokens, input budget - the chunk's request, twice
the chunk's request), and under `max_cost_usd` no more than the cap leaves, shared equally.
A chunk whose context cannot be built is sent without it; the review goes on and the summary
says so.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.config import ContextConfig, RepoConfig
from bot.context.index import SymbolIndex
from bot.context.select import select_context
from bot.context.snapshot import Snapshot
from bot.model.context_section import CONTEXT_FRAME_TOKENS, context_piece_tokens, context_tokens
from bot.models import Chunk, ContextPiece, FileDiff, Plan
from bot.plan.build import estimate_cost
from bot.pricing import Price

MIN_CONTEXT_TOKENS = 200  # less room than this is not worth a section
# At most twice the request it joins, so no request grows past three times its diff-only
# size: on the measured pull requests this cap cost no recall (a cap of one did).
MAX_CONTEXT_RATIO = 2


def plan_context(
    plan: Plan,
    files: Sequence[FileDiff],
    snapshot: Snapshot | None,
    config: RepoConfig,
    *,
    price: Price,
    note: str | None,
) -> tuple[Plan, SymbolIndex | None]:
    """`plan` with context (add_context, under the config's caps), and the snapshot's symbol
    index for the model's tools to share (None without a snapshot)."""
    index = SymbolIndex(snapshot, changed=files) if snapshot is not None else None
    plan = add_context(
        plan,
        files,
        snapshot,
        config.context,
        price=price,
        max_cost_usd=config.max_cost_usd,
        note=note,
        index=index,
    )
    return plan, index


def add_context(
    plan: Plan,
    files: Sequence[FileDiff],
    snapshot: Snapshot | None,
    config: ContextConfig,
    *,
    price: Price,
    max_cost_usd: float | None,
    note: str | None = None,
    index: SymbolIndex | None = None,
) -> Plan:
    """`plan` with context in its chunks, its source, and in `context_note` one line for the
    summary when the review has less context than it could (`note`: why there is no
    snapshot, from the snapshot's source). `index`: the snapshot's, when already made."""
    if not config.enabled:
        return _noted(plan, "off (context.enabled: false in the repository config)")
    if snapshot is None:
        return _noted(plan, note or "none: no repository snapshot")
    plan = plan.model_copy(update={"context_source": snapshot.source})
    if not plan.chunks:
        return plan
    index = index or SymbolIndex(snapshot, changed=files)
    rooms = _rooms(plan, max_tokens=config.max_tokens, price=price, max_cost_usd=max_cost_usd)
    chunks, failures = [], []
    for chunk, room in zip(plan.chunks, rooms, strict=True):
        try:
            pieces = _select(chunk, index, room)
        except Exception as exc:  # context is an extra: a failure costs this chunk's context
            failures.append(f"{type(exc).__name__}: {exc}"[:200])
            pieces = ()
        chunks.append(_with_context(chunk, pieces))
    update = {
        "chunks": tuple(chunks),
        "estimated_cost_usd": estimate_cost(chunks, price=price),
        "context_note": _note(plan, rooms, failures),
    }
    return plan.model_copy(update=update)


def _noted(plan: Plan, note: str) -> Plan:
    return plan.model_copy(update={"context_note": note})


def _rooms(plan: Plan, *, max_tokens: int, price: Price, max_cost_usd: float | None) -> list[int]:
    """Context tokens each chunk may take."""
    rooms = [
        min(
            max_tokens,
            plan.input_budget_tokens - c.estimated_tokens,
            MAX_CONTEXT_RATIO * c.estimated_tokens,
        )
        for c in plan.chunks
    ]
    if max_cost_usd is not None and price.input > 0:
        spare = max(max_cost_usd - plan.estimated_cost_usd, 0.0)
        share = int(spare * 1_000_000 / price.input) // len(plan.chunks)
        rooms = [min(room, share) for room in rooms]
    return [room if room >= MIN_CONTEXT_TOKENS else 0 for room in rooms]


def _select(chunk: Chunk, index: SymbolIndex, room: int) -> tuple[ContextPiece, ...]:
    budget = room - CONTEXT_FRAME_TOKENS
    if budget <= 0:
        return ()
    return select_context(chunk.files, index, budget_tokens=budget, measure=context_piece_tokens)


def _with_context(chunk: Chunk, pieces: tuple[ContextPiece, ...]) -> Chunk:
    tokens = context_tokens(pieces)
    update = {
        "context": pieces,
        "context_tokens": tokens,
        "estimated_tokens": chunk.estimated_tokens + tokens,
    }
    return chunk.model_copy(update=update)


def _note(plan: Plan, rooms: Sequence[int], failures: Sequence[str]) -> str | None:
    if failures:
        return (
            f"could not be built for {len(failures)} of {len(plan.chunks)} request(s) "
            f"({failures[0]})"
        )
    if not any(rooms):
        return "none: no room left in the requests (input budget or max_cost_usd)"
    return None
