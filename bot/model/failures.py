"""What the openai client's failures mean for one request: sent or not, reachable or not."""

from __future__ import annotations

from typing import Any

import openai

from bot.errors import ModelError
from bot.model.probe import ServerGone
from bot.model.schema import parse_error_body
from bot.models import ContextOverflow


class ModelAuthError(ModelError):
    """The model API rejected the key or its permissions (401/403): a setup problem."""

    exit_code = 2


class ChunkFailed(Exception):
    """This chunk cannot be answered: retries ran out, or the server refused it for good."""

    def __init__(self, reason: str, *, overflow: ContextOverflow | None = None) -> None:
        super().__init__(reason)
        self.overflow = overflow  # set when the server refused it as over its context


class ToolsRefused(Exception):
    """The server refused the request's tools: it takes no function calling."""


class ContextFull(Exception):
    """A shared-cache server had no room while other requests were in flight."""


def error_body(exc: openai.APIStatusError) -> tuple[Any, str]:
    text = exc.response.text
    try:
        return exc.response.json(), text
    except ValueError:
        return text, text


def error_message(exc: openai.APIStatusError) -> str:
    """One readable line from an error response, whichever shape its body has."""
    body, _ = error_body(exc)
    return parse_error_body(body, status=exc.status_code)


def _cause(exc: Exception) -> str:
    # By name: the SDK's transport is httpx in some versions, httpx2 in others.
    return type(exc.__cause__).__name__


def was_sent(exc: Exception) -> bool:
    """Did the request reach the server? Not when no connection could be made."""
    return isinstance(exc, ServerGone) or _cause(exc) not in ("ConnectError", "ConnectTimeout")


def unreachable(exc: Exception) -> bool:
    """The server could not be reached at all (not merely slow to answer)."""
    if isinstance(exc, openai.APITimeoutError):
        return _cause(exc) == "ConnectTimeout"
    return True  # refused, reset, gone, DNS: nothing answered


def connection_reason(exc: Exception, timeout_s: float) -> str:
    if isinstance(exc, ServerGone):
        return str(exc)
    if isinstance(exc, openai.APITimeoutError):
        if _cause(exc) == "ConnectTimeout":
            return "could not connect to the model API (connect timeout)"
        return f"model API did not answer within {timeout_s:g} s"
    return f"could not reach the model API: {exc.__cause__ or exc}"
