"""The model adapter: the only module importing openai; sends chunks, returns our findings."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import openai
from openai import AsyncOpenAI
from pydantic import ValidationError

from bot.errors import ConfigError, MissingKeyError, ModelError
from bot.model.errors import refuses_schema, retryable, too_long
from bot.model.prompt import prefix_tokens
from bot.model.ratelimit import RateLimiter, Sleep, retry_wait_s
from bot.model.schema import (
    CUT_OFF,
    Message,
    ModelReview,
    build_repair_messages,
    describe_reply_problem,
    parse_error_body,
    parse_reply_content,
    parse_usage,
    to_finding,
    unfence_json,
    with_schema_note,
)
from bot.models import ChunkResult, ProgressEvent, Usage
from bot.settings import Settings

CONV_HEADER = "x-grok-conv-id"
_NO_HEADERS: Mapping[str, str] = {}


class ModelAuthError(ModelError):
    """The model API rejected the key or its permissions (401/403): a setup problem."""

    exit_code = 2


class _ChunkFailed(Exception):
    """A transient failure that outlived its retries, or a 4xx that only concerns this chunk."""

    def __init__(self, reason: str, *, too_long: bool = False) -> None:
        super().__init__(reason)
        self.too_long = too_long


@dataclass
class _Outcome:
    """One billed answer: either a validated review or the reason it is unusable."""

    usage: Usage
    served_model: str | None
    review: ModelReview | None = None
    problem: str | None = None
    content: str = ""


def make_client(settings: Settings) -> AsyncOpenAI:
    """An async client for `settings.base_url`; it never retries by itself (we do)."""
    if not settings.api_key:
        raise MissingKeyError("no model API key: set XAI_API_KEY (or GROK_REVIEW_API_KEY)")
    return AsyncOpenAI(
        api_key=settings.api_key,
        base_url=settings.base_url,
        timeout=settings.timeout_s,
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
    limiter: RateLimiter | None = None,
    sleep: Sleep = asyncio.sleep,
) -> list[ChunkResult]:
    """Ask the model about every chunk, concurrently; results in chunk order.

    Each request is `prefix_messages` (byte-identical, so the provider's prompt cache serves
    it) plus one user message with the chunk. A chunk that fails is reported in its
    `ChunkResult.error`. What would fail every chunk alike ends the review instead: a
    rejected key (401/403) raises `ModelAuthError`, an unknown model (404) `ConfigError`.
    `chunk_labels` (e.g. the chunk's file names) only make error messages clearer; `limiter`
    and `sleep` are injectable so tests never wait.
    """
    session = _Session(
        client=client,
        settings=settings,
        model=model,
        prefix=list(prefix_messages),
        conv_id=conv_id,
        limiter=limiter or RateLimiter(settings.rpm, settings.tpm),
        sleep=sleep,
    )
    semaphore = asyncio.Semaphore(settings.concurrency)
    progress = _Progress(total=len(chunk_texts), on_event=on_event)

    async def run(index: int, text: str) -> ChunkResult:
        label = chunk_labels[index] if chunk_labels and index < len(chunk_labels) else None
        async with semaphore:
            result = await session.review_one(index, text, label=label)
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


@dataclass
class _Session:
    """What all chunks of one review share, including the json_object fallback switch."""

    client: AsyncOpenAI
    settings: Settings
    model: str
    prefix: list[Message]
    conv_id: str
    limiter: RateLimiter
    sleep: Sleep
    json_mode: bool = False  # set once the server refuses json_schema; later chunks follow

    async def review_one(self, index: int, text: str, *, label: str | None) -> ChunkResult:
        name = f"chunk {index + 1}" + (f" ({label})" if label else "")
        messages: list[Message] = [*self.prefix, {"role": "user", "content": text}]
        usage, served = Usage(), None
        try:
            first = await self._ask(messages)
            usage, served = first.usage, first.served_model
            outcome = first
            if first.review is None:
                # One repair: show the model its own reply and what was wrong with it.
                repair = build_repair_messages(
                    messages, reply=first.content, problem=first.problem or "unknown"
                )
                outcome = await self._ask(repair)
                usage, served = usage + outcome.usage, outcome.served_model or served
        except _ChunkFailed as exc:
            return ChunkResult(index, (), usage, served, f"{name} failed: {exc}", exc.too_long)
        if outcome.review is None:
            reason = f"reply did not validate, even after a repair request: {outcome.problem}"
            return ChunkResult(index, (), usage, served, f"{name} failed: {reason}")
        found = tuple(to_finding(m) for m in outcome.review.findings)
        return ChunkResult(index, found, usage, served)

    async def _ask(self, messages: list[Message]) -> _Outcome:
        """One answer for `messages`, retrying transient failures; raises _ChunkFailed."""
        tokens = prefix_tokens(messages)  # the planner's estimate of this prompt
        retries = self.settings.model_retries
        for attempt in range(retries + 1):
            await self.limiter.acquire(tokens)
            headers: Mapping[str, str] = _NO_HEADERS
            json_mode = self.json_mode  # another chunk may flip it while this one is in flight
            try:
                outcome = await self._send(messages, json_mode=json_mode)
                estimated = {"estimated_prompt_tokens": tokens * outcome.usage.requests}
                outcome.usage = outcome.usage.model_copy(update=estimated)
                return outcome
            except openai.APIStatusError as exc:
                status, message = exc.status_code, error_message(exc)
                if status == 400 and not json_mode and refuses_schema(message):
                    self.json_mode = True  # this and every later request use json_object
                    return await self._ask(messages)
                reason, headers = f"model API answered {status}: {message}", exc.response.headers
                if not retryable(status):
                    over = too_long(status, message)
                    fatal = self._fatal(status, message)
                    raise (fatal or _ChunkFailed(reason, too_long=over)) from None
            except openai.APIConnectionError as exc:  # includes timeouts
                reason = _connection_reason(exc, self.settings.timeout_s)
            if attempt == retries:
                raise _ChunkFailed(f"{reason} (after {retries + 1} attempts)")
            await self.sleep(self._wait(attempt, headers))
        raise AssertionError("unreachable")  # the loop returns or raises

    def _wait(self, attempt: int, headers: Mapping[str, str]) -> float:
        s = self.settings
        return retry_wait_s(
            attempt,
            headers=headers,
            base=s.retry_base_s,
            cap=s.retry_max_s,
            now=time.time(),
            rand=random.random,
        )

    def _fatal(self, status: int, message: str) -> Exception | None:
        """Errors that doom every chunk alike end the review instead of failing one chunk."""
        if status == 401:
            return ModelAuthError(f"model API rejected the key (401): {message}")
        if status == 403:
            return ModelAuthError(f"model API refused the key access (403): {message}")
        if status == 404:
            return ConfigError(
                f"model API has no model {self.model!r} at {self.settings.base_url} "
                f"(404): {message}"
            )
        return None

    async def _send(self, messages: list[Message], *, json_mode: bool) -> _Outcome:
        completions = self.client.chat.completions.with_raw_response
        send: Any = completions.create if json_mode else completions.parse
        raw = await send(
            model=self.model,
            messages=with_schema_note(messages, index=len(self.prefix)) if json_mode else messages,
            response_format={"type": "json_object"} if json_mode else ModelReview,
            temperature=self.settings.temperature,
            # xAI documents max_tokens as deprecated in favour of max_completion_tokens.
            max_completion_tokens=self.settings.max_output_tokens,
            extra_headers={CONV_HEADER: self.conv_id},
        )
        return self._outcome(raw, json_mode=json_mode)

    def _outcome(self, raw: Any, *, json_mode: bool) -> _Outcome:
        """Usage from the raw body (kept even when the reply is unusable), then validation."""
        try:
            data = raw.http_response.json()
        except ValueError:
            return _Outcome(Usage(requests=1), None, problem="it was not a JSON response")
        data = data if isinstance(data, dict) else {}
        served = data["model"] if isinstance(data.get("model"), str) else None
        usage = parse_usage(
            data.get("usage"), model=self.model, served_model=served, prices=self.settings.prices
        )
        content, problem = parse_reply_content(data)
        if problem is not None:
            return _Outcome(usage, served, problem=problem, content=content)
        try:
            if json_mode:
                review = ModelReview.model_validate_json(unfence_json(content))
            else:
                review = raw.parse().choices[0].message.parsed
        except ValidationError as exc:
            problem = describe_reply_problem(exc)
        except openai.LengthFinishReasonError:
            problem = CUT_OFF
        except openai.ContentFilterFinishReasonError:
            problem = "it was stopped by the content filter"
        else:
            if isinstance(review, ModelReview):
                return _Outcome(usage, served, review=review, content=content)
            problem = "it was empty"
        return _Outcome(usage, served, problem=problem, content=content)


def error_message(exc: openai.APIStatusError) -> str:
    """One readable line from an error response, whichever shape its body has."""
    try:
        body: Any = exc.response.json()
    except ValueError:
        body = exc.response.text
    return parse_error_body(body, status=exc.status_code)


def _connection_reason(exc: openai.APIConnectionError, timeout_s: float) -> str:
    if isinstance(exc, openai.APITimeoutError):
        return f"model API did not answer within {timeout_s:g} s"
    return f"could not reach the model API: {exc.__cause__ or exc}"
