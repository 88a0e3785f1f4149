"""The one place a chat-completions request is built: its arguments for each ladder rung."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.model.ladder import Mode
from bot.model.schema import Message, response_schema, schema_note, with_schema_in_system
from bot.model.toolcalls import TOOLS, TOOLS_TOKENS, ToolChoice, conversation_tokens
from bot.tokens import estimate_tokens

CONV_HEADER = "x-grok-conv-id"
SCHEMA_NAME = "ModelReview"


def response_format(mode: Mode) -> dict[str, Any] | None:
    """The `response_format` of a rung; None for plain text (nothing is sent)."""
    if mode == "json_schema":
        schema = {"name": SCHEMA_NAME, "schema": response_schema(), "strict": True}
        return {"type": "json_schema", "json_schema": schema}
    if mode == "json_object":
        # `schema` is the llama.cpp family's extension: their grammar then enforces it.
        # Servers that do not know the key ignore it and have the schema in the prompt.
        return {"type": "json_object", "schema": response_schema()}
    return None


def build_request(
    messages: Sequence[Message],
    *,
    mode: Mode,
    model: str,
    temperature: float,
    max_output_tokens: int,
    conv_id: str,
    omit_auth: object | None = None,
    tool_choice: ToolChoice | None = None,
    structured: bool = True,
) -> dict[str, Any]:
    """Keyword arguments for `chat.completions.create` (pure, so tests can read them).

    `omit_auth`: the SDK's marker that drops the Authorization header, for a server used
    without a key; the SDK itself would refuse to send a request with no key at all.
    `tool_choice`: offer the repository tools ("auto": the model may call them, "none": it
    answers now); None sends no tools at all. The tools go with any response format: the
    model either calls tools or answers in the format asked for.
    `structured`: False for a plain-text answer (markdown, not JSON): no response format and
    no schema, whatever rung the server is on.
    """
    headers: dict[str, Any] = {CONV_HEADER: conv_id}
    if omit_auth is not None:
        headers["Authorization"] = omit_auth
    kwargs: dict[str, Any] = {
        "model": model,
        # Below json_schema the server cannot be trusted to know the schema: the model reads
        # it in the system message, the same bytes for every chunk (the cache still works).
        "messages": (
            list(messages)
            if mode == "json_schema" or not structured
            else with_schema_in_system(messages)
        ),
        "temperature": temperature,
        # xAI documents max_tokens as deprecated in favour of max_completion_tokens, and
        # OpenAI's reasoning models refuse max_tokens; they never leave the first rung.
        "max_completion_tokens": max_output_tokens,
        "extra_headers": headers,
    }
    if mode != "json_schema":
        # Servers that need a lower rung predate max_completion_tokens: llama-cpp-python
        # ignores it and would write until its context is full.
        kwargs["max_tokens"] = max_output_tokens
    fmt = response_format(mode) if structured else None
    if fmt is not None:
        kwargs["response_format"] = fmt
    if tool_choice is not None:
        kwargs["tools"] = TOOLS
        kwargs["tool_choice"] = tool_choice
    return kwargs


_SCHEMA_NOTE_TOKENS = estimate_tokens(schema_note())


def request_tokens(messages: list[Message], mode: Mode | None, *, tools: bool = False) -> int:
    """Our estimate of a request's prompt: below json_schema the schema rides along, and
    the tools' definitions when they are offered."""
    extra = _SCHEMA_NOTE_TOKENS if mode not in (None, "json_schema") else 0
    return conversation_tokens(messages) + extra + (TOOLS_TOKENS if tools else 0)
