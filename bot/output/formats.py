"""`review-pr` outputs of a Review: JSON, markdown and terminal text (SARIF: bot.output.sarif)."""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.text import Text

from bot.models import SEVERITIES, Finding, Review, Usage, severity_rank
from bot.output.markdown import (
    clip,
    code_span,
    headline,
    neutralize,
    neutralize_inline,
    suggestion_block,
)
from bot.output.overview import overview_text_lines, overview_to_json, render_overview_markdown
from bot.output.plan import counted

# Keeps \t and \n; drops \r too, which moves a terminal's cursor (text could overwrite itself).
_SCREEN_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


# --- JSON --------------------------------------------------------------------------------


def finding_to_json(f: Finding) -> dict[str, Any]:
    """One finding in the `review-pr --format json` shape."""
    return {
        "path": f.path,
        "line": f.line,
        "start_line": f.start_line,
        "side": f.side,
        "severity": f.severity,
        "category": f.category,
        "title": f.title,
        "body": f.body,
        "suggestion": f.suggestion,
        "confidence": f.confidence,
        "fingerprint": f.fingerprint,
    }


def review_to_json(review: Review) -> dict[str, Any]:
    """The `review-pr --format json` document (README), plus head_sha and reviewed_range."""
    return {
        "summary": review.summary,
        "model": review.model,
        "served_model": review.served_model,
        "comments": [finding_to_json(f) for f in review.comments],
        "unanchored": [finding_to_json(f) for f in review.unanchored],
        "overflow": [finding_to_json(f) for f in review.overflow],
        "left_out": review.left_out.model_dump(mode="json"),
        "skipped_files": [{"path": s.path, "reason": s.reason} for s in review.skipped_files],
        "overview": overview_to_json(review.overview) if review.overview else None,
        # cost_usd stays a float (the known part); cost_known says whether it is the whole.
        "usage": {**review.usage.model_dump(mode="json"), "cost_known": review.usage.cost_known},
        "errors": list(review.errors),
        "head_sha": review.head_sha,
        "reviewed_range": review.reviewed_range,
        "structured_output": review.structured_output,
        "notes": list(review.notes),
    }


# --- shared ------------------------------------------------------------------------------


def usage_line(usage: Usage, *, model: str, served_model: str | None) -> str:
    """'3 requests · 41,200 prompt (30,000 cached, estimated 48,900) · 2,100 completion …';
    with tools: '5 requests · 4 tool calls in 2 rounds · …'."""
    prompt = f"{usage.prompt_tokens:,} prompt"
    notes = [f"{usage.cached_tokens:,} cached"] if usage.cached_tokens else []
    if usage.estimated_prompt_tokens:
        notes.append(f"estimated {usage.estimated_prompt_tokens:,}")
    if notes:
        prompt += f" ({', '.join(notes)})"
    completion = f"{usage.completion_tokens:,} completion"
    if usage.reasoning_tokens:
        completion += f" ({usage.reasoning_tokens:,} reasoning)"
    requests = counted(usage.requests, "request")
    if usage.failed_requests:
        requests += f" ({usage.failed_requests:,} failed)"
    if usage.tool_rounds:
        # Rounds are requests answered with tool calls, already among the requests.
        calls, rounds = counted(usage.tool_calls, "tool call"), counted(usage.tool_rounds, "round")
        requests += f" · {calls} in {rounds}"
    who = f"model {model}"
    if served_model and served_model != model:
        who += f" (served by {served_model})"
    return f"{requests} · {prompt} · {completion} tokens · {cost_text(usage)} · {who}"


def cost_text(usage: Usage) -> str:
    """'$0.0123'; never $0 for a cost nobody knows (a model with no price, e.g. a local one)."""
    if usage.cost_known:
        return f"${usage.cost_usd:.4f}"
    known = f"${usage.cost_usd:.4f} + " if usage.cost_usd else ""
    return f"{known}cost unknown (no price for this model; GROK_REVIEW_PRICES sets one)"


def _by_severity(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (severity_rank(f.severity), -f.confidence, f.line))


def _group_by_file(findings: Sequence[Finding]) -> list[tuple[str, list[Finding]]]:
    """Files in order of their worst finding, findings within a file worst first."""
    files: dict[str, list[Finding]] = {}
    for f in _by_severity(findings):
        files.setdefault(f.path, []).append(f)
    return list(files.items())


def line_label(f: Finding) -> str:
    """'line 12', 'lines 10-12', 'removed line 4' (LEFT lines are old-file numbers)."""
    span = f"s {f.start_line}-{f.line}" if f.start_line is not None else f" {f.line}"
    return ("removed line" if f.side == "LEFT" else "line") + span


def severity_counts(findings: Iterable[Finding]) -> str:
    """'1 critical · 0 major · 2 minor · 0 nit'."""
    counts = Counter(f.severity for f in findings)
    return " · ".join(f"{counts[s]} {s}" for s in SEVERITIES)


# The severity line counts the findings a review reports (inline, over the comment limit, not
# tied to a changed line): the same ones the summary's "N findings reported" counts.
REPORTED_LABEL = "Reported by severity"


def reported(review: Review) -> tuple[Finding, ...]:
    """The findings a review reports, in the order its sections list them."""
    return (*review.comments, *review.overflow, *review.unanchored)


def finding_markdown(f: Finding, *, with_path: bool = True, body_limit: int | None = None) -> str:
    """A finding as a markdown list item: headline and place, then body and suggestion under it.

    Shared by `--format markdown` and the posted review body, which clips long bodies.
    """
    place = f"{code_span(f.path)} {line_label(f)}" if with_path else line_label(f)
    lines = [f"- {headline(f)} ({place})"]
    body = f.body.strip()
    if body and body_limit is not None:
        body = clip(body, body_limit)
    parts = [neutralize(body)] if body else []
    if f.suggestion is not None:
        block = suggestion_block(f.suggestion, info="")
        if block is not None:
            parts.append("Suggested replacement:\n" + block)
    for part in parts:
        lines.append("")
        lines.extend(f"  {ln}" if ln else "" for ln in part.split("\n"))
    return "\n".join(lines)


# --- markdown ----------------------------------------------------------------------------


def _md_section(title: str, findings: Sequence[Finding], *, by_file: bool) -> list[str]:
    if not findings:
        return []
    out = [f"### {title}", ""]
    if by_file:
        for path, group in _group_by_file(findings):
            out += [f"#### {code_span(path)}", ""]
            out += [finding_markdown(f, with_path=False) for f in group]
            out.append("")
    else:
        out += [finding_markdown(f) for f in _by_severity(findings)]
        out.append("")
    return out


def render_markdown(review: Review) -> str:
    """The whole review as GitHub-flavoured markdown, model text neutralised."""
    out = ["## grok-review", ""]
    if review.summary:
        out += [neutralize(review.summary), ""]
    out += [f"**{REPORTED_LABEL}:** {severity_counts(reported(review))}", ""]
    if review.overview is not None:
        out += [render_overview_markdown(review.overview), ""]
    out += _md_section("Inline findings", review.comments, by_file=True)
    out += _md_section("Findings not tied to a changed line", review.unanchored, by_file=False)
    out += _md_section("Over the comment limit", review.overflow, by_file=False)
    if review.skipped_files:
        out += ["### Skipped files", ""]
        out += [f"- {code_span(s.path)}: {s.reason}" for s in review.skipped_files]
        out.append("")
    if review.errors:
        out += ["### Errors", ""]
        out += [f"- {neutralize_inline(e)}" for e in review.errors]
        out.append("")
    out += [
        "---",
        "",
        f"_{usage_line(review.usage, model=review.model, served_model=review.served_model)}_",
    ]
    return "\n".join(out) + "\n"


# --- terminal text -----------------------------------------------------------------------

_STYLES = {"critical": "bold red", "major": "red", "minor": "yellow", "nit": "cyan"}


def _plain(text: str) -> str:
    """No terminal control sequences from model text (it could rewrite the screen)."""
    return _SCREEN_CONTROL.sub("", text)


def _text_finding(f: Finding) -> list[Text]:
    loc = f"{_plain(f.path)}:{f.start_line or f.line}"
    head = Text()
    head.append(loc, style="bold")
    head.append("  ")
    head.append(f"{f.severity.upper()} {f.category}", style=_STYLES[f.severity])
    head.append(f"  {_plain(' '.join(f.title.split()))}")
    if f.side == "LEFT" or f.start_line is not None:
        head.append(f"  ({line_label(f)})", style="dim")
    lines = [head]
    lines += [Text("    " + ln) for ln in _plain(f.body.strip()).splitlines()]
    if f.suggestion is not None:
        lines.append(Text("    suggested replacement:", style="green"))
        lines += [Text("      " + ln, style="green") for ln in _plain(f.suggestion).splitlines()]
    return lines


def _text_section(title: str, findings: Sequence[Finding]) -> list[Text]:
    if not findings:
        return []
    out = [Text(title, style="bold underline")]
    for path, group in _group_by_file(findings):
        out.append(Text(_plain(path), style="bold magenta"))
        for f in group:
            out += [Text("  ") + t for t in _text_finding(f)]
    out.append(Text())
    return out


def render_text(review: Review, *, color: bool) -> str:
    """A terminal report: `path:line` first so terminals make it clickable; ANSI if color."""
    out: list[Text] = []
    if review.summary:
        out += [Text(_plain(review.summary)), Text()]
    out.append(Text(f"{REPORTED_LABEL}: {severity_counts(reported(review))}", style="bold"))
    out.append(Text())
    if review.overview is not None:
        out += [Text(_plain(t), style=s) for t, s in overview_text_lines(review.overview)]
        out.append(Text())
    out += _text_section("Inline findings", review.comments)
    out += _text_section("Findings not tied to a changed line", review.unanchored)
    out += _text_section("Over the comment limit", review.overflow)
    if review.skipped_files:
        out.append(Text("Skipped files", style="bold underline"))
        out += [Text(f"  {_plain(s.path)}: {s.reason}") for s in review.skipped_files]
        out.append(Text())
    if review.errors:
        out.append(Text("Errors", style="bold red"))
        out += [Text(f"  {_plain(e)}", style="red") for e in review.errors]
        out.append(Text())
    line = usage_line(review.usage, model=review.model, served_model=review.served_model)
    out.append(Text(line, style="dim"))
    # An in-memory console: no terminal detection, no environment (NO_COLOR, COLUMNS).
    console = Console(
        file=io.StringIO(),
        force_terminal=color,
        color_system="standard" if color else None,
        no_color=not color,
        width=100,
        soft_wrap=True,
        highlight=False,
        markup=False,
        emoji=False,
        _environ={},
    )
    with console.capture() as capture:
        for text in out:
            console.print(text)
    return capture.get()
