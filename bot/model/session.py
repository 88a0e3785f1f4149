"""Asking about one chunk: the ladder, retries of what may succeed, one budgeted repair."""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

import openai
from openai import AsyncOpenAI

from bot.errors import ConfigError
from bot.model.errors import classify, parse_overflow
from bot.model.failures import (
    ChunkFailed,
    ContextFull,
    ModelAuthError,
    ToolsRefused,
    connection_reason,
    error_body,
    unreachable,
    was_sent,
)
from bot.model.ladder import Mode, ServerMemory
from bot.model.loop import Answer, ToolLoop, ToolOptions
from bot.model.overview import to_overview
from bot.model.probe import Liveness, ServerGone
from bot.model.ratelimit import RateLimiter, Sleep, retry_wait_s
from bot.model.reply import Reply, read_reply
from bot.model.request import build_request, request_tokens
from bot.model.schema import (
    Message,
    build_repair_messages,
    parse_error_body,
    to_findings,
)
from bot.model.slots import Slots
from bot.model.toolcalls import ToolChoice
from bot.models import ChunkResult, ContextOverflow, Usage
from bot.plan.build import input_budget
from bot.settings import Settings

_T = TypeVar("_T")
_NO_HEADERS: Mapping[str, str] = {}
_FAILED = Usage(requests=1, failed_requests=1)
SLOTS_NOTE = (
    "The model server ran out of its shared context with several requests at once "
    '("Context size has been exceeded"), so the rest of the review sent one at a time; '
    "give each llama-server slot room for a whole request (-c of at least -np times "
    "--context-tokens) to review concurrently."
)
NO_TOOLS_NOTE = (
    "The model server takes no function calling (it refused the request's tools), so the "
    "model reviewed without reading the repository itself."
)
CONTEXT_FULL_HINT = (
    "the server has no room for this request even alone: start llama-server with -np 1 "
    "(slots share -c) or a larger -c, or lower --context-tokens to what one slot holds"
)


@dataclass
class RunState:
    """What every request of one review shares, and what the run learns about the server."""

    settings: Settings
    servers: ServerMemory
    limiter: RateLimiter
    slots: Slots
    liveness: Liveness
    context_tokens: int  # lowered to the server's n_ctx when it states a smaller one
    unreachable: str | None = None  # set once the server could not be reached, retries spent
    tools: ToolOptions | None = None  # the repository tools offered, when there is a snapshot


def new_run_state(
    settings: Settings,
    *,
    servers: ServerMemory | None = None,
    tools: ToolOptions | None = None,
) -> RunState:
    return RunState(
        settings=settings,
        servers=servers or ServerMemory(),
        limiter=RateLimiter(settings.rpm, settings.tpm),
        slots=Slots(settings.concurrency),
        liveness=Liveness(
            settings.base_url,
            # xAI's API sits behind load balancers that always accept a connection: probing
            # it would tell nothing. Servers of one's own are where a stop goes unanswered.
            interval_s=0 if settings.at_xai else settings.probe_s,
            connect_timeout_s=settings.connect_timeout_s,
        ),
        context_tokens=settings.context_tokens,
        tools=tools,
    )


@dataclass
class _Tally:
    """One chunk's requests so far: every one sent counts, answered or not."""

    usage: Usage = field(default_factory=Usage)
    served: str | None = None
    mode: Mode | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Session:
    """One round of chunks: the shared prefix and conversation id, and the run's state."""

    client: AsyncOpenAI
    state: RunState
    model: str
    prefix: list[Message]
    conv_id: str
    sleep: Sleep
    structured: bool = True  # False: plain-text replies (bot.model.answer), no response format

    @property
    def omit_auth(self) -> object | None:
        """The SDK's marker to send no Authorization header: a server used without a key."""
        return None if self.state.settings.api_key else openai.Omit()

    async def review_one(self, index: int, text: str, *, name: str) -> ChunkResult:
        """The chunk's findings, or its failure; a shared-cache overflow waits for a lone slot."""
        tally = _Tally()
        try:
            return await self._in_slot(
                lambda: self._review(index, text, name=name, tally=tally), tally
            )
        except ContextFull as exc:
            return _failed(index, tally, f"{name} failed: {exc}; {CONTEXT_FULL_HINT}")

    async def _in_slot(self, work: Callable[[], Awaitable[_T]], tally: _Tally) -> _T:
        """`work` holding one of the run's slots. A shared-cache overflow while others were in
        flight lowers the run to one slot and tries again alone; alone, ContextFull is raised."""
        slots = self.state.slots
        while True:
            async with slots:
                crowded = slots.limit > 1  # at 1 a request only enters once it is alone
                try:
                    return await work()
                except ContextFull:
                    if not crowded:
                        raise
                    if slots.lower_to(1):
                        tally.notes.append(SLOTS_NOTE)

    async def _review(self, index: int, text: str, *, name: str, tally: _Tally) -> ChunkResult:
        messages: list[Message] = [*self.prefix, {"role": "user", "content": text}]
        try:
            answer = await self._converse(messages, tally)
            outcome = answer.outcome
            if outcome.review is None:
                repair = self._repair(answer.messages, outcome, tools=answer.tools)
                outcome = await self._ask(repair, tally, tools="none" if answer.tools else None)
        except ChunkFailed as exc:
            return _failed(index, tally, f"{name} failed: {exc}", overflow=exc.overflow)
        if outcome.review is None:
            reason = f"reply did not validate, even after a repair request: {outcome.problem}"
            return _failed(index, tally, f"{name} failed: {reason}")
        found, dropped = to_findings(outcome.review)
        overview = to_overview(outcome.review.overview)
        return ChunkResult(
            index,
            found,
            tally.usage,
            tally.served,
            mode=tally.mode,
            dropped=dropped,
            notes=tuple(tally.notes),
            overviews=(overview,) if overview is not None else (),
        )

    async def _converse(self, messages: list[Message], tally: _Tally) -> Answer:
        """The answer to `messages`, after rounds of tool calls when the run offers tools."""
        tools, settings = self.state.tools, self.state.settings
        if tools is None:
            return Answer(await self._ask(messages, tally), messages)
        if not self.state.servers.takes_tools(settings.base_url, self.model):
            tally.notes.append(NO_TOOLS_NOTE)
            return Answer(await self._ask(messages, tally), messages)

        async def ask(convo: list[Message], choice: ToolChoice) -> Reply:
            return await self._ask(convo, tally, tools=choice)

        loop = ToolLoop(
            tools,
            ask=ask,
            measure=lambda convo: request_tokens(
                convo, self.state.servers.mode(settings.base_url, self.model), tools=True
            ),
            budget=lambda: input_budget(self.state.context_tokens, settings.max_output_tokens),
            max_output_tokens=settings.max_output_tokens,
        )
        try:
            answer = await loop.run(messages)
        except ToolsRefused:
            self.state.servers.refuse_tools(settings.base_url, self.model)
            tally.notes.append(NO_TOOLS_NOTE)
            return Answer(await self._ask(messages, tally), messages)
        finally:  # rounds before a failure count too
            tally.usage += Usage(tool_calls=loop.calls, tool_rounds=loop.rounds)
        answer.tools = True
        return answer

    def _repair(self, messages: list[Message], first: Reply, *, tools: bool) -> list[Message]:
        """The repair request: the bad reply is shown only when it leaves room for an answer
        (a reply cut off at the output limit, re-sent, would push the repair over the
        context); without it the model still learns what was wrong. Tool calls are never
        shown again: the conversation already holds every call that was answered."""
        problem = first.problem or "unknown"
        reply = None if first.tool_calls else first.content
        repair = build_repair_messages(messages, reply=reply, problem=problem)
        room = input_budget(self.state.context_tokens, self.state.settings.max_output_tokens)
        if request_tokens(repair, first.mode, tools=tools) > room:
            repair = build_repair_messages(messages, reply=None, problem=problem)
        return repair

    async def _ask(
        self, messages: list[Message], tally: _Tally, *, tools: ToolChoice | None = None
    ) -> Reply:
        """One answer for `messages`: steps down the ladder when the server refuses the
        response format, retries only what may succeed; raises ChunkFailed or stops the run
        (ToolsRefused: the server takes no function calling). `tools`: the tool_choice of a
        request that offers the repository tools."""
        state, settings = self.state, self.state.settings
        attempt = 0
        while True:
            if state.unreachable:  # another chunk found the server gone: no retry storm
                raise ChunkFailed(("not sent: " if not attempt else "") + state.unreachable)
            mode = state.servers.mode(settings.base_url, self.model)
            shape = mode if self.structured else None  # a text request carries no schema
            tokens = request_tokens(messages, shape, tools=tools is not None)
            await state.limiter.acquire(tokens)
            headers: Mapping[str, str] = _NO_HEADERS
            try:
                outcome = await self._send(messages, mode=mode, tools=tools)
            except openai.APIStatusError as exc:
                tally.usage += _FAILED
                headers = exc.response.headers
                reason = self._refused(exc, mode=mode, tools=tools is not None)
            except (openai.APIConnectionError, ServerGone) as exc:
                tally.usage += _FAILED if was_sent(exc) else Usage()
                reason = connection_reason(exc, settings.timeout_s)
                if attempt == settings.model_retries and unreachable(exc):
                    state.unreachable = f"{reason} (at {settings.base_url})"
            else:
                tally.usage += outcome.usage.model_copy(update={"estimated_prompt_tokens": tokens})
                tally.served = outcome.served_model or tally.served
                tally.mode = mode
                return outcome
            if reason is None:
                continue  # stepped down the ladder: ask again at once, in the new format
            if attempt == settings.model_retries:
                raise ChunkFailed(f"{reason} (after {attempt + 1} attempts)")
            attempt += 1
            await self.sleep(self._wait(attempt - 1, headers))

    def _refused(self, exc: openai.APIStatusError, *, mode: Mode, tools: bool) -> str | None:
        """What an error answer means for this request: None = ask again in a lower format,
        a reason = a transient failure worth a retry; anything else raises."""
        settings, status = self.state.settings, exc.status_code
        body, text = error_body(exc)
        message = parse_error_body(body, status=status)
        reason = f"model API answered {status}: {message}"
        kind = classify(status, text, tools=tools)
        if kind == "tools":
            raise ToolsRefused(reason)
        if kind == "format" and not self.structured:
            raise ChunkFailed(reason)  # no response format was sent: nothing to step down from
        if kind == "format":
            lower = self.state.servers.lower(settings.base_url, self.model, below=mode)
            if lower is not None:
                return None
            raise ChunkFailed(f"{reason} (no structured-output format left to try)")
        if kind == "auth":
            if self.omit_auth is not None:
                what, fix = "wants a key", "set GROK_REVIEW_API_KEY (or XAI_API_KEY)"
            else:
                what, fix = "rejected the key", "check GROK_REVIEW_API_KEY / XAI_API_KEY"
            raise ModelAuthError(
                f"the model server at {settings.base_url} {what} ({status}: {message}); {fix}"
            )
        if kind == "not_found":
            raise ConfigError(
                f"model API has no model {self.model!r} at {settings.base_url} "
                f"({status}): {message}"
            )
        if kind == "too_long":
            overflow = parse_overflow(body, text)
            if overflow.n_ctx and overflow.n_ctx < self.state.context_tokens:
                self.state.context_tokens = overflow.n_ctx
            raise ChunkFailed(reason, overflow=overflow)
        if kind == "context_full":
            raise ContextFull(reason)
        if kind == "request":
            raise ChunkFailed(reason)
        return reason

    def _wait(self, attempt: int, headers: Mapping[str, str]) -> float:
        s = self.state.settings
        return retry_wait_s(
            attempt,
            headers=headers,
            base=s.retry_base_s,
            cap=s.retry_max_s,
            now=time.time(),
            rand=random.random,
        )

    async def _send(
        self, messages: list[Message], *, mode: Mode, tools: ToolChoice | None
    ) -> Reply:
        settings = self.state.settings
        kwargs = build_request(
            messages,
            mode=mode,
            model=self.model,
            temperature=settings.temperature,
            max_output_tokens=settings.max_output_tokens,
            conv_id=self.conv_id,
            omit_auth=self.omit_auth,
            tool_choice=tools,
            structured=self.structured,
        )
        call = self.client.chat.completions.with_raw_response.create(**kwargs)
        raw = await self.state.liveness.guard(call)
        try:
            data = raw.http_response.json()
        except ValueError:
            data = None
        return read_reply(
            data, mode=mode, model=self.model, prices=settings.prices, structured=self.structured
        )


def _failed(
    index: int, tally: _Tally, error: str, *, overflow: ContextOverflow | None = None
) -> ChunkResult:
    return ChunkResult(
        index,
        (),
        tally.usage,
        tally.served,
        error=error,
        too_long=overflow is not None,
        overflow=overflow,
        mode=tally.mode,
        notes=tuple(tally.notes),
    )
