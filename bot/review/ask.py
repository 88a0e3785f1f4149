"""Asking the model about a prepared review: every chunk concurrently, re-sent smaller when
refused as too long, then the overview merge; progress carried over the rounds."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from bot.model.ladder import ServerMemory
from bot.models import ChunkResult, ProgressEvent
from bot.pricing import price_for
from bot.review.overview import merge_parts
from bot.review.pipeline import Prepared
from bot.review.resplit import Window, ask_with_splits
from bot.review.tools import tool_options
from bot.settings import Settings


def ask_model(
    prepared: Prepared,
    settings: Settings,
    *,
    on_event: Callable[[ProgressEvent], None] | None = None,
    servers: ServerMemory | None = None,
    budget_usd: float | None = None,
) -> list[ChunkResult]:
    """Send every chunk to the model (concurrently) and return results in chunk order.

    `servers` remembers how each model server takes structured output (and function
    calling) beyond this run (the App keeps one); without it the run learns for itself.
    `budget_usd`: what the run may spend at most besides `max_cost_usd` (the App's daily
    budget left); tool rounds stop before either could be crossed.
    """
    from bot.model import client as llm  # the openai import is slow; dry runs never pay for it

    chunks = prepared.plan.chunks
    if not chunks:
        return []

    async def run() -> list[ChunkResult]:
        client = llm.make_client(settings)
        tools = tool_options(
            prepared.plan,
            prepared.snapshot,
            prepared.index,
            price=price_for(prepared.model, settings.prices),
            caps=(prepared.config.max_cost_usd, budget_usd),
        )
        # One state for every round of re-sent pieces: the rate limits, the concurrency, the
        # structured-output rung the server settled on and the tools' allowance hold for the
        # whole run.
        state = llm.new_run_state(settings, servers=servers, tools=tools)
        progress = _Rounds(on_event)

        async def ask(texts: Sequence[str], labels: Sequence[str]) -> list[ChunkResult]:
            results = await llm.review_chunks(
                client,
                settings=settings,
                model=prepared.model,
                prefix_messages=prepared.prefix_messages,
                chunk_texts=texts,
                conv_id=prepared.conv_id,
                on_event=progress.event if on_event else None,
                chunk_labels=labels,
                state=state,
            )
            progress.next_round()
            return results

        window = Window(settings.context_tokens, settings.max_output_tokens)
        try:
            results = await ask_with_splits(
                chunks,
                prepared.chunk_texts,
                prefix_tokens=prepared.plan.prefix_tokens,
                window=window,
                ask=ask,
            )
            if prepared.config.overview:  # a review in parts: one small request merges them
                merged = await merge_parts(
                    client,
                    results,
                    settings=settings,
                    model=prepared.model,
                    title=prepared.pr.title,
                    conv_id=prepared.conv_id,
                    state=state,
                )
                results += [merged] if merged is not None else []
            return results
        finally:
            await client.close()

    return asyncio.run(run())


@dataclass
class _Rounds:
    """Progress over the rounds of re-sent halves: counts carry on instead of restarting."""

    on_event: Callable[[ProgressEvent], None] | None
    before: ProgressEvent | None = None  # totals at the end of the rounds before this one
    last: ProgressEvent | None = None

    def event(self, event: ProgressEvent) -> None:
        if self.before is not None:
            b = self.before
            event = replace(
                event,
                done=b.done + event.done,
                total=b.total + event.total,
                prompt_tokens=b.prompt_tokens + event.prompt_tokens,
                completion_tokens=b.completion_tokens + event.completion_tokens,
                failed=b.failed + event.failed,
            )
        self.last = event
        if self.on_event is not None:
            self.on_event(event)

    def next_round(self) -> None:
        self.before = self.last
