"""One answered request as the chunk's conversation sees it: a review, tool calls, or why the
reply is unusable."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.model.ladder import Mode
from bot.model.schema import parse_reply_content, parse_review, parse_usage
from bot.model.toolcalls import ToolCall, parse_tool_calls
from bot.models import Usage

# The problem of a reply that calls tools where it may not (the rounds are used up, or the
# request offered none): what the repair request tells the model, and the chunk's error.
CALLED_PAST_LIMIT = (
    "it called tools after the tool rounds were used up (or when no room was left for "
    "results); answer with the JSON review now, without calling tools"
)


@dataclass
class Reply:
    """One answered request: a validated review, the tool calls it asked for, or the reason
    it is unusable (then `review` is None and `problem` says why)."""

    usage: Usage
    served_model: str | None
    mode: Mode
    review: Any = None  # ModelReview
    problem: str | None = None
    content: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)


def read_reply(
    data: Any, *, mode: Mode, model: str, prices: Mapping[str, Mapping[str, float]]
) -> Reply:
    """An answered request from its JSON body (None: the body was not JSON): usage first (kept
    even when the reply is unusable), then the tool calls, else the validated review."""
    if data is None:
        usage = Usage(requests=1, unpriced_requests=1)
        return Reply(usage, None, mode, problem="it was not a JSON response")
    data = data if isinstance(data, dict) else {}
    served = data["model"] if isinstance(data.get("model"), str) else None
    usage = parse_usage(data.get("usage"), model=model, served_model=served, prices=prices)
    calls = _tool_calls(data)
    if calls:
        return Reply(usage, served, mode, problem=CALLED_PAST_LIMIT, tool_calls=calls)
    content, problem = parse_reply_content(data)
    review = None
    if problem is None:
        review, problem = parse_review(content)
    return Reply(usage, served, mode, review=review, problem=problem, content=content)


def _tool_calls(data: Mapping[str, Any]) -> list[ToolCall]:
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return []
    message = choices[0].get("message")
    return parse_tool_calls(message) if isinstance(message, dict) else []
