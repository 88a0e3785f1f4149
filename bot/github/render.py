"""What the bot writes on GitHub (pure): review body, inline comments, check-run output, notices."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

from bot.diff.parse import build_line_map
from bot.github.markers import (
    CONFIG_ERROR_MARKER,
    NOTICE_MARKER,
    PREFIX,
    base_marker,
    fingerprint_marker,
    head_marker,
    run_marker,
)
from bot.models import (
    SEVERITIES,
    Category,
    FileDiff,
    Finding,
    LineMap,
    Review,
    Severity,
    severity_rank,
)
from bot.output.formats import (
    REPORTED_LABEL,
    finding_markdown,
    reported,
    severity_counts,
    usage_line,
)
from bot.output.markdown import (
    BODY_LIMIT,
    COMMENT_LIMIT,
    clip,
    code_span,
    fit_markdown,
    headline,
    neutralize,
    neutralize_inline,
    suggestion_block,
)
from bot.output.overview import render_overview_markdown

# Everything here is a function of our own data. Model text goes through `neutralize`
# (bot.output.markdown) so a PR cannot make the bot mention people, run commands or forge markers;
# our markers (bot.github.markers) are added after it.

# GitHub documents no cap on comments per review, but trouble is reported from a few dozen
# up (e.g. reviewdog posts at most 30 per request and summarises the rest).
MAX_INLINE = 50
CHECK_TEXT_LIMIT = 65_535  # check-run summary/text
ANNOTATION_TITLE_LIMIT = 255
ANNOTATION_MESSAGE_LIMIT = 60_000  # GitHub allows 64 KB
CHECK_NAME = "grok-review"
_SHA = re.compile(r"[0-9a-fA-F]{7,64}")
_LEVELS: dict[Severity, str] = {
    "critical": "failure",
    "major": "failure",
    "minor": "warning",
    "nit": "notice",
}
Conclusion = Literal["success", "failure", "neutral", "cancelled"]
_HEADLINE = re.compile(r"\*\*\S+ (?P<severity>[a-z]+) · (?P<category>[a-z-]+)\*\* — (?P<title>.*)")
_SUGGESTION_OPEN = re.compile(r"(`{3,})suggestion")
_NO_SUGGESTION = "_(suggestion omitted: it cannot be posted)_"


# --- inline comments -------------------------------------------------------------------


def render_comment_body(f: Finding) -> str:
    """The body of one inline review comment, always under GitHub's 65,536 characters.

    Defusing can lengthen model text (escapes, longer fences), so the body is fitted after
    it: the marker at the end is never cut off.
    """
    block = suggestion_block(f.suggestion) if f.suggestion is not None else None
    tail = [] if f.suggestion is None else [block or _NO_SUGGESTION]
    tail += [fingerprint_marker(f.fingerprint)] if f.fingerprint else []
    room = COMMENT_LIMIT - len(headline(f)) - sum(len(t) + 2 for t in tail) - 2
    if room < 1_000 and block is not None:  # a long suggestion leaves no room: drop it
        tail[0] = _NO_SUGGESTION
        room = COMMENT_LIMIT - len(headline(f)) - sum(len(t) + 2 for t in tail) - 2
    parts = [headline(f)]
    if f.body.strip():
        parts.append(fit_markdown(f.body.strip(), min(room, BODY_LIMIT)))
    return "\n\n".join([*parts, *tail])


@dataclass(frozen=True)
class PostedComment:
    """What render_comment_body wrote, read back from a posted comment."""

    severity: Severity | None
    category: Category | None
    title: str
    suggestion: str | None  # the suggested lines, None when it offered none


def read_comment_body(body: str) -> PostedComment:
    """Severity, category and title from the headline; the one-click suggestion, if any.

    Our suggestion is the last block before the fingerprint marker (model text before it is
    neutralised), so it is read from the end. Unreadable parts come back as None / "".
    """
    lines = body.replace("\r\n", "\n").split("\n")
    head = _HEADLINE.fullmatch(lines[0].strip()) if lines else None
    severity = category = None
    title = ""
    if head is not None:
        title = head["title"].strip()
        if head["severity"] in SEVERITIES:
            severity = next(s for s in SEVERITIES if s == head["severity"])
        categories: tuple[Category, ...] = get_args(Category)
        category = next((c for c in categories if c == head["category"]), None)
    return PostedComment(severity, category, title, _suggestion(lines))


def _suggestion(lines: list[str]) -> str | None:
    end = len(lines)
    while end and (not lines[end - 1].strip() or lines[end - 1].startswith(PREFIX)):
        end -= 1  # the fingerprint marker and blank lines after the block
    if not end or not re.fullmatch(r"`{3,}", lines[end - 1]):
        return None
    fence = lines[end - 1]
    for start in range(end - 2, -1, -1):
        opened = _SUGGESTION_OPEN.fullmatch(lines[start])
        if opened and opened.group(1) == fence:
            return "\n".join(lines[start + 1 : end - 1])
    return None


def comment_payload(f: Finding) -> dict[str, Any]:
    """One entry of `comments` in POST /pulls/{n}/reviews."""
    payload: dict[str, Any] = {
        "path": f.path,
        "body": clip(render_comment_body(f), COMMENT_LIMIT),
        "line": f.line,
        "side": f.side,
    }
    if f.start_line is not None:
        payload["start_line"] = f.start_line
        payload["start_side"] = f.side
    return payload


def _valid_on(lm: LineMap, f: Finding) -> bool:
    lines = lm.right if f.side == "RIGHT" else lm.left
    if f.line not in lines:
        return False
    if f.start_line is None:
        return True
    return f.start_line < f.line and lines.get(f.start_line) == lines[f.line]


def split_postable(
    findings: Sequence[Finding], files: Sequence[FileDiff], *, limit: int = MAX_INLINE
) -> tuple[tuple[Finding, ...], tuple[Finding, ...]]:
    """(inline, moved): a comment GitHub would reject with 422 goes to the body instead.

    The anchoring stage already guarantees this; checking again against the PR's own line
    maps right before sending costs nothing and keeps one bad comment from failing the
    whole review.
    """
    maps = {f.path: build_line_map(f) for f in files}
    inline: list[Finding] = []
    moved: list[Finding] = []
    for f in findings:
        lm = maps.get(f.path)
        ok = lm is not None and _valid_on(lm, f) and len(inline) < limit
        (inline if ok else moved).append(f)
    return tuple(inline), tuple(moved)


# --- the review body -------------------------------------------------------------------


def _finding_block(f: Finding, *, marker: bool) -> str:
    block = finding_markdown(f, body_limit=4_000)
    if marker and f.fingerprint:
        block += f"\n\n  {fingerprint_marker(f.fingerprint)}"
    return block


def _section(title: str, findings: Sequence[Finding], *, markers: bool) -> list[str]:
    ordered = sorted(findings, key=lambda f: (severity_rank(f.severity), f.path, f.line))
    return (
        [f"### {title}", *(_finding_block(f, marker=markers) for f in ordered)] if ordered else []
    )


def _fit(blocks: Sequence[str], limit: int) -> str:
    """Whole blocks while they fit, then a note: a cut never leaves a code fence open."""
    out: list[str] = []
    used = 0
    for i, block in enumerate(blocks):
        if used + len(block) + 2 > limit:
            note = f"… {len(blocks) - i} more part(s) omitted: GitHub limits a review body."
            out.append(note if used + len(note) <= limit else "…")
            break
        out.append(block)
        used += len(block) + 2
    return "\n\n".join(out)


def render_review_body(
    review: Review,
    *,
    head_sha: str,
    run_key: str,
    moved: Sequence[Finding] = (),
    notes: Sequence[str] = (),
    pr_url: str | None = None,
) -> str:
    """The review's summary comment, under 65,536 characters, ending with the markers.

    `moved` are anchored findings not sent inline (a 422 fallback, or over the inline cap);
    they carry their fingerprint markers, like unanchored ones, so later runs skip them.
    The overview follows the findings headline; `pr_url` (the PR's web page) links its focus
    spots to the reviewed head.
    """
    head = ["## grok-review"]
    if review.summary:
        head.append(neutralize(review.summary))
    facts = [f"**{REPORTED_LABEL}:** {severity_counts(reported(review))}"]
    if review.reviewed_range:
        facts.append(f"**Reviewed:** {code_span(review.reviewed_range)}")
    head.append("  \n".join(facts))
    if review.overview is not None:
        blob = f"{pr_url.rsplit('/pull/', 1)[0]}/blob/{head_sha}" if pr_url else None
        overview = render_overview_markdown(review.overview, collapsible=True, blob_url=blob)
        head.append(overview)
    blocks = [*head, *(f"> {neutralize_inline(n)}" for n in notes)]
    blocks += _section("Findings on changed lines (not posted inline)", moved, markers=True)
    blocks += _section("Findings not tied to a changed line", review.unanchored, markers=True)
    blocks += _section("Over the comment limit", review.overflow, markers=False)
    if review.skipped_files:
        skipped = [f"- {code_span(s.path)}: {s.reason}" for s in review.skipped_files]
        blocks.append("### Skipped files\n" + "\n".join(skipped))
    if review.errors:
        errors = [f"- {neutralize_inline(e)}" for e in review.errors]
        blocks.append("### Errors\n" + "\n".join(errors))
    usage = usage_line(review.usage, model=review.model, served_model=review.served_model)
    tail = f"---\n_{usage}_\n\n{head_marker(head_sha)}\n{run_marker(run_key)}"
    return _fit(blocks, COMMENT_LIMIT - len(tail) - 2) + "\n\n" + tail


# --- check runs ------------------------------------------------------------------------


def build_annotations(findings: Sequence[Finding]) -> list[dict[str, Any]]:
    """Check-run annotations for findings on new-file (RIGHT) lines, worst first."""
    out: list[dict[str, Any]] = []
    for f in sorted(findings, key=lambda f: severity_rank(f.severity)):
        if f.side != "RIGHT":
            continue  # an annotation names a line of the head commit; LEFT lines are old ones
        title = " ".join(f"{f.severity} · {f.category}: {f.title}".split())
        out.append(
            {
                "path": f.path,
                "start_line": f.start_line if f.start_line is not None else f.line,
                "end_line": f.line,
                "annotation_level": _LEVELS[f.severity],
                "title": clip(title, ANNOTATION_TITLE_LIMIT),
                "message": clip(f.body.strip() or f.title, ANNOTATION_MESSAGE_LIMIT),
            }
        )
    return out


def check_conclusion(*, blocking: bool, reviewed: bool) -> Conclusion:
    if blocking:
        return "failure"
    return "success" if reviewed else "neutral"


def render_check_output(
    review: Review, *, conclusion: Conclusion, nothing_new: bool = False
) -> tuple[str, str]:
    """(title, summary) of the `grok-review` check run; `nothing_new`: every finding of this
    run was on the pull request already (the conclusion still counts them)."""
    listed = reported(review)
    titles = {
        "failure": "Blocking findings",
        "success": "No blocking findings",
        "neutral": "Nothing reviewed",
        "cancelled": "Review stopped",
    }
    count = f"{len(listed)} finding{'' if len(listed) == 1 else 's'}"
    title = f"{titles[conclusion]}: {'no new findings' if nothing_new else count}"
    parts = [neutralize(review.summary), f"**{REPORTED_LABEL}:** {severity_counts(listed)}"]
    if review.reviewed_range:
        parts.append(f"**Reviewed:** {code_span(review.reviewed_range)}")
    parts.append(usage_line(review.usage, model=review.model, served_model=review.served_model))
    return title, clip("\n\n".join(p for p in parts if p), CHECK_TEXT_LIMIT)


# --- issue comments --------------------------------------------------------------------


def render_config_error(message: str, *, base_sha: str, config_path: str) -> str:
    """The one comment per base commit that says why the config stops reviews."""
    sha = base_sha[:7] if _SHA.fullmatch(base_sha) else "the base branch"
    text = [
        "## grok-review: configuration error",
        f"{code_span(config_path)} on the base branch ({code_span(sha)}) is not valid, so "
        "this pull request was not reviewed:",
        f"> {neutralize_inline(clip(' '.join(message.split()), 8_000))}",
        "Fix the file on the base branch; a pull request cannot change its own review settings.",
        f"{CONFIG_ERROR_MARKER}\n{base_marker(base_sha)}",
    ]
    return "\n\n".join(text)


def render_notice(text: str) -> str:
    """A notice from the service (e.g. the daily budget is used up), marked as the bot's."""
    room = COMMENT_LIMIT - len(NOTICE_MARKER) - 2
    return fit_markdown(text, room) + "\n\n" + NOTICE_MARKER
