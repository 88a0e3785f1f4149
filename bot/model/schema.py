"""The model's reply: pydantic models inside xAI's JSON-schema subset, and reading replies."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.models import Category, Finding, Severity, Side, Usage
from bot.pricing import cost_from_ticks, cost_from_tokens, known_price

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


class ModelFileNote(_Strict):
    """One line about one file of the chunk, for the overview's table."""

    path: str = Field(description="File path exactly as shown in the diff header.")
    summary: str = Field(description="One line: what changed in this file and why.")


class ModelFocus(_Strict):
    """A spot a reviewer should look at hardest."""

    path: str | None = Field(description="File path exactly as in the diff header, or null.")
    line: int | None = Field(description="A new-file line number shown in the diff, or null.")
    note: str = Field(description="One short sentence: what is risky there.")


class ModelOverview(_Strict):
    """A walkthrough of the chunk for the author and the reviewers (not a finding)."""

    summary: str = Field(description="2-4 sentences: what this change does and why it matters.")
    files: list[ModelFileNote]
    focus: list[ModelFocus] = Field(description="At most 3 risky spots; empty when none.")


def _every_field_required(schema: dict[str, Any]) -> None:
    # The overview has a default here (a reply read without one keeps its findings), but the
    # schema the model gets lists every field as required, with no default, as xAI wants.
    schema["required"] = list(schema.get("properties", {}))
    for prop in schema.get("properties", {}).values():
        prop.pop("default", None)


class ModelReview(_Strict):
    """The whole reply for one chunk; an empty list when nothing is wrong."""

    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_extra=_every_field_required)

    findings: list[ModelFinding]
    overview: ModelOverview | None = Field(
        default=None, description="A walkthrough of this part of the diff; null when not asked for."
    )


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


def schema_note() -> str:
    """The schema as the model reads it where the server cannot enforce one."""
    return SCHEMA_NOTE + json.dumps(response_schema(), separators=(",", ":"))


def with_schema_in_system(messages: Sequence[Message]) -> list[Message]:
    """`messages` with the schema appended to the system message (one is added if missing).

    The system message opens every request, so in this mode it is the same bytes for every
    chunk and the provider's prompt cache still serves the whole prefix.
    """
    if messages and messages[0].get("role") == "system":
        first = messages[0]
        content = str(first.get("content", "")) + schema_note()
        return [{**first, "content": content}, *messages[1:]]
    return [{"role": "system", "content": schema_note().lstrip()}, *messages]


def build_repair_messages(
    messages: Sequence[Message], *, reply: str | None, problem: str
) -> list[Message]:
    """The conversation so far, the unusable reply (None: left out), and what was wrong."""
    shown = [{"role": "assistant", "content": reply}] if reply is not None else []
    return [*messages, *shown, {"role": "user", "content": REPAIR_PROMPT.format(problem=problem)}]


# --- reading a reply into findings -------------------------------------------------------------

# Some JSON grammars (llama.cpp's among them) let a model write half of a surrogate pair
# ("\uDdAa"): json.loads keeps it as a lone surrogate, which pydantic then refuses.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# `[^<>]`, not `[^>]`: with many `<` and no `>`, each `<` would rescan to the end (quadratic).
_TAGS = re.compile(r"<[^<>]*>")


def parse_review(content: str) -> tuple[ModelReview | None, str | None]:
    """(the review, None) from a reply's text, or (None, why it is unusable).

    Lenient about the wrapping (a code fence, prose around the object in plain-text mode,
    lone surrogates), strict about the findings' shape. The overview is an extra: one that is
    missing or malformed is read as null and never costs the findings a repair request.
    """
    try:
        data = _load_json(content)
    except json.JSONDecodeError as exc:
        return None, f"it was not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
    data = clean_strings(data)
    if isinstance(data, dict):
        data = {**data, "overview": _valid_overview(data.get("overview"))}
    try:
        return ModelReview.model_validate(data), None
    except ValidationError as exc:
        return None, describe_reply_problem(exc)


def _load_json(content: str) -> Any:
    text = unfence_json(content)
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        start, end = text.find("{"), text.rfind("}")
        if 0 <= start < end and (start, end) != (0, len(text) - 1):
            return json.loads(text[start : end + 1])  # the object inside a sentence or two
        raise


def _valid_overview(value: Any) -> Any:
    try:
        return None if value is None else ModelOverview.model_validate(value).model_dump()
    except ValidationError:
        return None


def clean_strings(value: Any) -> Any:
    """Lone surrogates in every string of a parsed reply replaced (pydantic refuses them)."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {clean_strings(k): clean_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_strings(v) for v in value]
    return value


def unfence_json(content: str) -> str:
    """json_object replies sometimes arrive inside a ```json fence; take the object out."""
    text = content.strip()
    if text.startswith("```") and text.endswith("```") and "\n" in text:
        text = text.split("\n", 1)[1].rsplit("```", 1)[0]
    return text


def to_findings(review: ModelReview) -> tuple[tuple[Finding, ...], int]:
    """Our findings from the model's, and how many were dropped as malformed: a finding
    with no title, or a body with no text (blank, or nothing but HTML tags), says nothing."""
    kept = tuple(
        to_finding(m) for m in review.findings if m.title.strip() and _TAGS.sub("", m.body).strip()
    )
    return kept, len(review.findings) - len(kept)


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
    table; a model the table does not name, or an answer without token counts, counts as an
    unpriced request (its cost is unknown, not zero).
    """
    u = _dict(raw)
    prompt, completion = _int(u.get("prompt_tokens")), _int(u.get("completion_tokens"))
    cached = _int(_dict(u.get("prompt_tokens_details")).get("cached_tokens"))
    reasoning = _int(_dict(u.get("completion_tokens_details")).get("reasoning_tokens"))
    total = u.get("total_tokens")
    if reasoning and isinstance(total, int) and total >= prompt + completion + reasoning:
        completion += reasoning
    ticks = u.get("cost_in_usd_ticks")
    cost, unpriced = 0.0, 0
    if isinstance(ticks, int | float) and not isinstance(ticks, bool):
        cost = cost_from_ticks(ticks)
    else:
        # The requested model's price, else the served model's (xAI serves a retired name
        # under a listed one); a model in neither table has an unknown cost, not a zero one.
        price = known_price(model, prices) or (
            known_price(served_model, prices) if served_model else None
        )
        counted = isinstance(u.get("prompt_tokens"), int) or isinstance(
            u.get("completion_tokens"), int
        )
        if price is None or not counted:
            unpriced = 1
        else:
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
        unpriced_requests=unpriced,
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
