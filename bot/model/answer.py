"""Plain-text requests: answering a person (/ask, a reply in one of the bot's threads), and the
overview merge. They share the review's client path: rate limiter, retries, usage."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import openai
from openai import AsyncOpenAI

from bot.model.overview import build_merge_messages
from bot.model.schema import Message
from bot.model.session import RunState, Session, new_run_state
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
    retried). Read-only tools, when the client gets them, join the conversation here.
    """
    session = _text_session(client, settings, model=model, conv_id=conv_id, state=state)
    return await session.reply_text(list(messages), name=name)


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
    return await session.reply_text(messages, name="the overview merge")


def _text_session(
    client: AsyncOpenAI,
    settings: Settings,
    *,
    model: str,
    conv_id: str,
    state: RunState | None,
) -> Session:
    return Session(
        client=client,
        state=state or new_run_state(settings),
        model=model,
        prefix=[],
        conv_id=conv_id,
        sleep=asyncio.sleep,
        omit_auth=None if settings.api_key else openai.Omit(),
        structured=False,
    )
