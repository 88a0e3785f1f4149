"""What an error answer from the model API means: retry, step down, split, or stop (pure)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from bot.linear import LinearPattern
from bot.models import ContextOverflow

# transient:    worth another attempt after a wait (rate limits, overload, a crash mid-way)
# format:       the server does not take the response_format we sent: step down the ladder
# tools:        the server does not take function calling (`tools`, `tool_choice`): ask again
#               without tools (only for a request that offered them)
# too_long:     the request is over the model's context window: split it
# context_full: a server whose slots share one cache ran out of it (llama-server with -np > 1):
#               sending fewer requests at once helps, sending the same again does not
# auth:         the key is missing, wrong or not allowed (401/403): every request fails alike
# not_found:    no such model or route (404): every request fails alike
# request:      anything else the server refuses as invalid: the same request never succeeds
ErrorKind = Literal[
    "transient", "format", "tools", "too_long", "context_full", "auth", "not_found", "request"
]

TRANSIENT_4XX = frozenset({408, 409, 429})
_FORMAT_STATUSES = frozenset({400, 422, 500})
_FORMAT_WORDS = ("response_format", "json_schema", "json_object", "response format")
# How servers without function calling refuse it: vLLM without --enable-auto-tool-choice
# ('"auto" tool choice requires --enable-auto-tool-choice ...'), Ollama ("... does not
# support tools"), llama-server without --jinja ("tools param requires --jinja flag"),
# pydantic servers that forbid the fields ("'loc': ('body', 'tools')"), OpenAI-style
# "Unrecognized request argument supplied: tools" or "tool_choice is not supported".
_TOOLS_STATUSES = frozenset({400, 404, 422, 500, 501})
_TOOLS_WORDS = re.compile(
    r"\btools?\b|\btool[ _]choice\b|\btool_calls?\b|\bfunction[ _]call|\bfunctions\b",
    re.IGNORECASE,
)
# llama-server (-np > 1, one shared cache): 500 "Context size has been exceeded."
_CONTEXT_FULL = re.compile(r"context size has been exceeded", re.IGNORECASE)

# How OpenAI-compatible servers word a request over the context window: OpenAI / vLLM /
# llama-cpp-python "maximum context length is N tokens", llama-server "exceeds the available
# context size" (type exceed_context_size_error, with n_ctx), "prompt is too long",
# "context_length_exceeded", "too many tokens", "exceeds the maximum ... tokens".
# On RE2 (bot.linear): an error body can echo the request (the PR's text), and `.*` between
# two words backtracks quadratically on Python's `re`.
_TOO_LONG = LinearPattern(
    r"(?i)context.?(?:length|window)|exceeds? the available context|exceed_context_size"
    r"|too (?:long|large|many tokens)|(?:maximum|max|limit)\b.*\btokens"
    r"|tokens?\b.*\b(?:exceed|maximum|limit)"
)
# A 5xx that is really a refusal of the request: pydantic/FastAPI validation errors
# (llama-cpp-python answers 500 "1 validation error: ... 'loc': ('body', ...)").
_INVALID_REQUEST = re.compile(
    r"validation error|'loc': \('body'|\"loc\": \[\"body\"|invalid_request_error"
    r"|unprocessable|input should be",
    re.IGNORECASE,
)

# What a server says about its window: llama-server's fields, else the usual wordings.
# Numbers are 1-12 digits starting a run of digits: a number starting anywhere in a long run
# would rescan the run from each digit, and int() refuses more than 4,300 digits.
_N_CTX = (
    re.compile(r"available context size \((\d{1,12}) tokens?\)", re.IGNORECASE),
    re.compile(r"maximum context length is (\d{1,12}) tokens?", re.IGNORECASE),
    re.compile(r"\bn_ctx\b\D{0,5}(?<!\d)(\d{1,12})(?!\d)", re.IGNORECASE),
)
_PROMPT = (
    re.compile(r"(?<!\d)(\d{1,12}) in the messages", re.IGNORECASE),
    re.compile(r"request \((\d{1,12}) tokens?\)", re.IGNORECASE),
    re.compile(r"(?:resulted in|you requested|contains) (\d{1,12}) tokens", re.IGNORECASE),
)


def classify(status: int, text: str, *, tools: bool = False) -> ErrorKind:
    """What an error answer means, from its status and its whole body as text; `tools`: the
    request offered tools (an error that names them is then a refusal of function calling)."""
    if status in (401, 403):
        return "auth"
    if _CONTEXT_FULL.search(text):
        return "context_full"
    names_tools = tools and status in _TOOLS_STATUSES and bool(_TOOLS_WORDS.search(text))
    if names_tools and too_long(status, text):
        return "too_long"  # a window refusal may count "tokens in the functions"
    if names_tools:
        # Also when it names the response format ("json_schema is not supported with
        # tools"): the review's own format matters more than the tools.
        return "tools"
    if status in _FORMAT_STATUSES and any(w in text.lower() for w in _FORMAT_WORDS):
        return "format"
    if too_long(status, text):
        return "too_long"
    if status == 404:
        return "not_found"
    if status in TRANSIENT_4XX:
        return "transient"
    if status >= 500:
        return "request" if _INVALID_REQUEST.search(text) else "transient"
    return "request"


def too_long(status: int, message: str) -> bool:
    """The request is over the model's context window (split it and ask again)."""
    return status in (400, 413) and _TOO_LONG.search(message) is not None


def parse_overflow(body: Any, text: str) -> ContextOverflow:
    """The context window and prompt size a too-long refusal states, where it states them."""
    fields = _error_fields(body)
    return ContextOverflow(
        n_ctx=_int_field(fields, "n_ctx") or _first_number(_N_CTX, text),
        prompt_tokens=_int_field(fields, "n_prompt_tokens") or _first_number(_PROMPT, text),
    )


def _error_fields(body: Any) -> Mapping[str, Any]:
    if not isinstance(body, dict):
        return {}
    inner = body.get("error")
    return inner if isinstance(inner, dict) else body


def _int_field(fields: Mapping[str, Any], key: str) -> int | None:
    value = fields.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _first_number(patterns: tuple[re.Pattern[str], ...], text: str) -> int | None:
    for pattern in patterns:
        match = pattern.search(text)
        if match and int(match.group(1)) > 0:
            return int(match.group(1))
    return None
