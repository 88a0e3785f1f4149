"""What an error answer from the model API means: retry it, switch format, or split (pure)."""

from __future__ import annotations

from bot.linear import LinearPattern

RETRY_STATUSES = frozenset({408, 409, 429})  # plus every 5xx

# How OpenAI-compatible servers word a request over the context window (xAI's wording is not
# documented): "maximum context length", "prompt is too long", "context_length_exceeded",
# "too many tokens", "exceeds the maximum ... tokens".
# On RE2 (bot.linear): a message may echo request text, and `.*` between two words would
# backtrack quadratically on Python's `re`.
_TOO_LONG = LinearPattern(
    r"(?i)context.?(?:length|window)|too (?:long|large|many tokens)"
    r"|(?:maximum|max|limit)\b.*\btokens|tokens?\b.*\b(?:exceed|maximum|limit)"
)


def retryable(status: int) -> bool:
    """Worth another attempt after a wait: rate limits, timeouts, conflicts, server errors."""
    return status in RETRY_STATUSES or status >= 500


def refuses_schema(message: str) -> bool:
    """The server does not take `response_format: json_schema` (fall back to json_object)."""
    lowered = message.lower()
    return any(k in lowered for k in ("response_format", "json_schema", "response format"))


def too_long(status: int, message: str) -> bool:
    """The request is over the model's context window (split it and ask again)."""
    return status in (400, 413) and _TOO_LONG.search(message) is not None
