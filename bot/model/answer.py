"""Plain-text requests: answering a person (/ask, a reply in one of the bot's threads), and the
overview merge. They share the review's client path: rate limiter, retries, usage."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from openai import AsyncOpenAI

from bot.model import session as sessions
from bot.model.failures import ChunkFailed, ContextFull
from bot.model.overview import build_merge_messages
from bot.model.reply import Reply
from bot.model.schema import CUT_OFF, Message
from bot.model.session import CONTEXT_FULL_HINT, RunState, Session, new_run_state
from bot.models import Overview, TextReply
from bot.settings import Settings


async def answer(
    client: AsyncOpenAI,
    *,
    settings: Settings,
    model: str,
    messages: Sequence[Message],
    conv_id: str,
    state: RunState | None = None,
    name: str = "the answer",
) -> TextReply:
    """The one request that answers a person, in markdown: an /ask or a reply in a thread.

    The same rate limiter, retries of what may succeed, and usage as a review's requests (one
    attempt per transient failure, up to `model_retries`; errors that cannot succeed are not
    retried). With tools in `state` (an /ask with a snapshot) the model may first call the
    read-only repository tools: the review's tool loop, then the answer.
    """
    session = _text_session(client, settings, model=model, conv_id=conv_id, state=state)
    return await session.reply(list(messages), name=name)


async def merge_overview(
    client: AsyncOpenAI,
    *,
    settings: Settings,
    model: str,
    title: str,
    parts: Sequence[Overview],
    conv_id: str,
    state: RunState | None = None,
) -> TextReply:
    """One summary of the whole pull request from its parts' summaries: a small request."""
    session = _text_session(client, settings, model=model, conv_id=conv_id, state=state)
    messages = build_merge_messages(title, parts)
    return await session.reply(messages, name="the overview merge", tools=False)


class TextSession(Session):
    """A session whose replies are plain text: no response format, no schema, no repair."""

    async def reply(self, messages: list[Message], *, name: str, tools: bool = True) -> TextReply:
        """A plain-text reply to `messages`: the same rate limits, retries of what may
        succeed, slots and usage as a chunk (a tally like a chunk's); no repair request.
        `tools`: False never offers the run's tools (the overview merge needs none)."""
        tally = sessions._Tally()

        async def ask() -> Reply:  # after rounds of tool calls when the run offers tools
            if tools:
                return (await self._converse(messages, tally)).outcome
            return await self._ask(messages, tally)

        try:
            outcome = await self._in_slot(ask, tally)
        except (ChunkFailed, ContextFull) as exc:
            hint = f"; {CONTEXT_FULL_HINT}" if isinstance(exc, ContextFull) else ""
            error = f"{name} failed: {exc}{hint}"
            return TextReply("", tally.usage, tally.served, error=error, notes=(*tally.notes,))
        text, problem = outcome.content.strip(), outcome.problem
        if problem == CUT_OFF and text:  # an answer cut short is still worth reading
            text, problem = text + "\n\n_(cut off at the output token limit)_", None
        unusable = f"{name} failed: the reply was unusable: {problem}" if problem else None
        shown = "" if unusable else text
        return TextReply(shown, tally.usage, tally.served, unusable, (*tally.notes,))


def _text_session(
    client: AsyncOpenAI,
    settings: Settings,
    *,
    model: str,
    conv_id: str,
    state: RunState | None,
) -> TextSession:
    return TextSession(
        client=client,
        state=state or new_run_state(settings),
        model=model,
        prefix=[],
        conv_id=conv_id,
        sleep=asyncio.sleep,
        structured=False,
    )
