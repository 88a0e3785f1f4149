"""The model adapter's entry: a client for the server, and every chunk asked concurrently."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import openai
from openai import AsyncOpenAI

from bot.errors import MissingKeyError
from bot.model.failures import ModelAuthError, error_message
from bot.model.ratelimit import Sleep
from bot.model.request import CONV_HEADER
from bot.model.session import RunState, Session, new_run_state
from bot.models import ChunkResult, ProgressEvent, Usage
from bot.settings import Settings

__all__ = [
    "CONV_HEADER",
    "ModelAuthError",
    "RunState",
    "error_message",
    "make_client",
    "new_run_state",
    "review_chunks",
]

# The SDK refuses to send a request without a key; a server used without one gets this
# placeholder, and the Authorization header is dropped from every request (omit_auth).
_NO_KEY = "no-key"


def make_client(settings: Settings) -> AsyncOpenAI:
    """An async client for `settings.base_url`; it never retries by itself (we do).

    Timeouts: `connect_timeout_s` to reach the server, `timeout_s` for the whole answer (a
    reply is written all at once, so nothing arrives earlier); a server that goes away
    meanwhile is noticed by the liveness probe (bot.model.probe).
    """
    if settings.key_required and not settings.api_key:
        raise MissingKeyError("no model API key: set XAI_API_KEY (or GROK_REVIEW_API_KEY)")
    return AsyncOpenAI(
        api_key=settings.api_key or _NO_KEY,
        base_url=settings.base_url,
        timeout=openai.Timeout(settings.timeout_s, connect=settings.connect_timeout_s),
        max_retries=0,
    )


async def review_chunks(
    client: AsyncOpenAI,
    *,
    settings: Settings,
    model: str,
    prefix_messages: list[dict[str, str]],
    chunk_texts: Sequence[str],
    conv_id: str,
    on_event: Callable[[ProgressEvent], None] | None = None,
    chunk_labels: Sequence[str] | None = None,
    state: RunState | None = None,
    sleep: Sleep = asyncio.sleep,
) -> list[ChunkResult]:
    """Ask the model about every chunk, concurrently; results in chunk order.

    Each request is `prefix_messages` (byte-identical, so the provider's prompt cache serves
    it) plus one user message with the chunk. A chunk that fails is reported in its
    `ChunkResult.error`. What would fail every chunk alike ends the review instead: a
    rejected key (401/403) raises `ModelAuthError`, an unknown model (404) `ConfigError`.
    `state` carries what the run learned (the structured-output rung, a lowered concurrency,
    an unreachable server) from one call to the next, and the repository tools offered;
    `chunk_labels` name the chunks in errors (default "chunk N"); `sleep` is injectable so
    tests never wait.
    """
    session = Session(
        client=client,
        state=state or new_run_state(settings),
        model=model,
        prefix=list(prefix_messages),
        conv_id=conv_id,
        sleep=sleep,
    )
    progress = _Progress(total=len(chunk_texts), on_event=on_event)

    async def run(index: int, text: str) -> ChunkResult:
        label = chunk_labels[index] if chunk_labels and index < len(chunk_labels) else None
        result = await session.review_one(index, text, name=label or f"chunk {index + 1}")
        progress.add(result)
        return result

    tasks = [asyncio.create_task(run(i, text)) for i, text in enumerate(chunk_texts)]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


@dataclass
class _Progress:
    total: int
    on_event: Callable[[ProgressEvent], None] | None
    done: int = 0
    failed: int = 0
    usage: Usage = field(default_factory=Usage)

    def add(self, result: ChunkResult) -> None:
        self.done += 1
        self.failed += result.error is not None
        self.usage = self.usage + result.usage
        if self.on_event is not None:
            self.on_event(
                ProgressEvent(
                    done=self.done,
                    total=self.total,
                    prompt_tokens=self.usage.prompt_tokens,
                    completion_tokens=self.usage.completion_tokens,
                    failed=self.failed,
                )
            )
