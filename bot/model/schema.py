"""The model's reply: pydantic models inside xAI's JSON-schema subset, and reading replies."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.models import Category, Finding, Severity, Side, Usage
from bot.pricing import DEFAULT_PRICES, cost_from_ticks, cost_from_tokens, price_for

Message = dict[str, Any]

# Rules for this module, from xAI's structured-outputs guide (docs.x.ai, "Structured
# Outputs"; older versions list the unsupported keywords): every field is required (no
# defaults), nullable means `T | None` (pydantic emits anyOf [T, null]), no length or item
# bounds, no allOf, and extra keys are forbidden so pydantic emits additionalProperties:
# false. Numeric ranges (confidence 0..1) are enforced by `to_finding`, not by the schema.


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ModelFinding(_Strict):
    """One problem the model reports, cited by line in the rendered diff."""

    path: str = Field(description="File path exactly as shown in the diff header.")
    line: int = Field(description="Line the finding is about (last line of a range).")
    start_line: int | None = Field(
        description="First line of a multi-line range on the same side, else null."
    )
    side: Side = Field(description="RIGHT for new/added/context lines, LEFT for removed lines.")
    severity: Severity
    category: Category
    title: str = Field(description="One short sentence naming the problem.")
    body: str = Field(description="Why it is a problem and how to fix it (markdown).")
    suggestion: str | None = Field(
        description=(
            "Replacement code for exactly start_line..line (RIGHT side only), full lines with "
            "the original indentation, no fences or diff markers; else null."
        )
    )
    confidence: float = Field(description="How sure you are, from 0.0 to 1.0.")
    code: str = Field(description="The cited source line(s), copied exactly from the diff.")


class ModelReview(_Strict):
    """The whole reply for one chunk; an empty list when nothing is wrong."""

    findings: list[ModelFinding]


def response_schema() -> dict[str, Any]:
    """The JSON schema of `ModelReview` (what the json_object fallback quotes to the model)."""
    return ModelReview.model_json_schema()


# --- messages around the schema ---------------------------------------------------------------

SCHEMA_NOTE = (
    "\n\nAnswer with one JSON object only, no prose and no code fences, matching this "
    "JSON schema exactly:\n"
)
REPAIR_PROMPT = (
    "Your previous reply could not be used: {problem}\n"
    "Reply again with the corrected JSON object only, matching the required schema."
)


def with_schema_note(messages: Sequence[Message], *, index: int) -> list[Message]:
    """Messages for json_object mode: the schema appended to the chunk message at `index`.

    Never to the prefix before it, which must stay byte-identical for the prompt cache.
    """
    note = SCHEMA_NOTE + json.dumps(response_schema(), separators=(",", ":"))
    chunk = messages[index]
    return [
        *messages[:index],
        {**chunk, "content": str(chunk.get("content", "")) + note},
        *messages[index + 1 :],
    ]


def build_repair_messages(
    messages: Sequence[Message], *, reply: str, problem: str
) -> list[Message]:
    """The conversation so far plus the unusable reply and what was wrong with it."""
    return [
        *messages,
        {"role": "assistant", "content": reply},
        {"role": "user", "content": REPAIR_PROMPT.format(problem=problem)},
    ]


def unfence_json(content: str) -> str:
    """json_object replies sometimes arrive inside a ```json fence; take the object out."""
    text = content.strip()
    if text.startswith("```") and text.endswith("```") and "\n" in text:
        text = text.split("\n", 1)[1].rsplit("```", 1)[0]
    return text


def to_finding(m: ModelFinding) -> Finding:
    """Our `Finding` from the model's; confidence clamped to 0..1, blanks normalised."""
    suggestion = m.suggestion if m.suggestion and m.side == "RIGHT" else None
    start = m.start_line if m.start_line is not None and m.start_line != m.line else None
    return Finding(
        path=m.path.strip(),
        line=m.line,
        start_line=start,
        side=m.side,
        severity=m.severity,
        category=m.category,
        title=m.title.strip(),
        body=m.body.strip(),
        suggestion=suggestion,
        confidence=min(max(m.confidence, 0.0), 1.0),
        code=m.code,
    )


# --- reading a chat.completion body (plain dicts, so unusable replies still count) ---------

CUT_OFF = "it was cut off at the output token limit; report fewer, shorter findings"


def parse_reply_content(data: Mapping[str, Any]) -> tuple[str, str | None]:
    """(message content, why it is unusable or None) from a chat.completion body."""
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return "", "the reply had no choices"
    choice, message = choices[0], _dict(choices[0].get("message"))
    content = message.get("content")
    content = content if isinstance(content, str) else ""
    finish = choice.get("finish_reason")
    if finish == "length":
        return content, CUT_OFF
    if finish == "content_filter":
        return content, "it was stopped by the content filter"
    if message.get("refusal"):
        return content, f"the model refused: {message['refusal']}"
    if not content.strip():
        return content, "it was empty"
    return content, None


def describe_reply_problem(exc: ValidationError) -> str:
    """One line saying why a reply did not validate, for the repair request and for errors."""
    errors = exc.errors(include_url=False)
    if errors and errors[0]["type"] == "json_invalid":
        return f"it was not valid JSON ({errors[0]['msg']})"
    parts = [f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in errors]
    more = f" (and {len(parts) - 3} more)" if len(parts) > 3 else ""
    return "it did not match the schema: " + "; ".join(parts[:3]) + more


def parse_usage(
    raw: Any,
    *,
    model: str,
    served_model: str | None,
    prices: Mapping[str, Mapping[str, float]],
) -> Usage:
    """Our Usage for one billed request from the reply's `usage` object.

    completion_tokens is kept OpenAI-style, reasoning included. Current xAI answers already
    include reasoning in completion_tokens; older ones left it out (their total_tokens is
    prompt + completion + reasoning) and are normalised here, so reasoning is billed as
    output exactly once. Cost: xAI's billed `cost_in_usd_ticks` when present, else the price
    table (the requested model's price, or the served model's when only that one is known).
    """
    u = _dict(raw)
    prompt, completion = _int(u.get("prompt_tokens")), _int(u.get("completion_tokens"))
    cached = _int(_dict(u.get("prompt_tokens_details")).get("cached_tokens"))
    reasoning = _int(_dict(u.get("completion_tokens_details")).get("reasoning_tokens"))
    total = u.get("total_tokens")
    if reasoning and isinstance(total, int) and total >= prompt + completion + reasoning:
        completion += reasoning
    ticks = u.get("cost_in_usd_ticks")
    if isinstance(ticks, int | float) and not isinstance(ticks, bool):
        cost = cost_from_ticks(ticks)
    else:
        known = model in prices or model in DEFAULT_PRICES
        price = price_for(model if known or not served_model else served_model, prices)
        cost = cost_from_tokens(
            price, prompt_tokens=prompt, cached_tokens=cached, completion_tokens=completion
        )
    return Usage(
        requests=1,
        prompt_tokens=prompt,
        cached_tokens=cached,
        completion_tokens=completion,
        reasoning_tokens=reasoning,
        cost_usd=cost,
    )


def parse_error_body(body: Any, *, status: int) -> str:
    """A readable one-line message from an error body: xAI's {code, error} or OpenAI's shape."""
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict):
            text = str(err.get("message") or err.get("code") or json.dumps(err))
        elif isinstance(err, str):
            code = body.get("code")
            text = f"{err} ({code})" if isinstance(code, str) and code else err
        else:
            text = str(body.get("message") or body.get("detail") or json.dumps(body))
    else:
        text = str(body or "")
    return " ".join(text.split())[:300] or f"HTTP {status}"


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
