"""GitHub Actions workflow commands for findings, and the step-summary markdown. Pure."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from bot.config import FailOn
from bot.github.render import ANNOTATION_TITLE_LIMIT
from bot.models import Finding, Review, severity_rank
from bot.output.formats import render_markdown, reported
from bot.review.findings import blocking

# Rules (GitHub's, see the GitHub Action section of README.md):
# - A workflow command is one line on stdout: `::LEVEL file=F,line=L,endLine=E,title=T::MSG`.
#   Data escapes `%`, CR and LF; a property value also escapes `:` and `,`. Escaping is also
#   what keeps model text from starting a command of its own on a new line.
# - A step shows at most 10 annotations of each level, in the order printed, so the most
#   severe findings go first and the rest are counted in one plain log line.
# - The step summary may hold 1 MiB per step; a longer one is refused, so it is clipped.
#
# Levels: `error` for a finding that fails the job (at or over fail_on) and for every critical
# or major finding (the check run's "failure" level); `warning` for the other minor ones;
# `notice` for the other nits.

Level = Literal["error", "warning", "notice"]
LEVELS: tuple[Level, ...] = ("error", "warning", "notice")
ANNOTATIONS_PER_LEVEL = 10
STEP_SUMMARY_LIMIT = 1024 * 1024  # bytes
MESSAGE_LIMIT = 4000
CLIPPED_NOTE = "\n\n_(Cut here: GitHub keeps at most 1 MiB of a step summary.)_\n"

# Keeps \t, \n and \r, which workflow commands escape (%0D, %0A); drops the rest.
_COMMAND_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def escape_data(text: str) -> str:
    """Escape a command's message: `%`, CR, LF (the runner unescapes them)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value: as data, plus `:` and `,` (they delimit properties)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(
    level: Level,
    message: str,
    *,
    file: str | None = None,
    line: int | None = None,
    end_line: int | None = None,
    title: str | None = None,
) -> str:
    """One workflow-command line (no trailing newline), every part escaped."""
    props: list[tuple[str, str]] = []
    if file:
        props.append(("file", file))
    if line is not None:
        props.append(("line", str(line)))
    if end_line is not None:
        props.append(("endLine", str(end_line)))
    if title:
        props.append(("title", title))
    head = ",".join(f"{k}={escape_property(_clean(v))}" for k, v in props)
    return f"::{level}{' ' + head if head else ''}::{escape_data(_clean(message))}"


def annotation_level(finding: Finding, *, fail_on: FailOn) -> Level:
    """error: fails the job, or critical/major; warning: minor; notice: nit."""
    if finding.severity in ("critical", "major") or blocking([finding], fail_on):
        return "error"
    return "warning" if finding.severity == "minor" else "notice"


def finding_annotation(finding: Finding, *, fail_on: FailOn, anchored: bool = True) -> str:
    """The command for one finding; a line only where it names a line of the new file."""
    title = _clip(
        f"{finding.severity} {finding.category}: {_one_line(finding.title)}", ANNOTATION_TITLE_LIMIT
    )
    message = finding.body.strip() or finding.title
    line = end_line = None
    if finding.side == "LEFT":
        # LEFT numbers lines of the old file; the annotation would land on the wrong line.
        message = f"(On removed line {finding.line} of the old file.) {message}"
    elif not anchored:
        message = f"(Line {finding.line}, not a changed line of this pull request.) {message}"
    else:
        line = finding.start_line if finding.start_line is not None else finding.line
        end_line = finding.line
    if finding.suggestion is not None:
        message += "\n\nSuggested replacement:\n" + finding.suggestion
    return workflow_command(
        annotation_level(finding, fail_on=fail_on),
        _clip(message, MESSAGE_LIMIT),
        file=finding.path,
        line=line,
        end_line=end_line,
        title=title,
    )


def review_annotations(
    review: Review, *, fail_on: FailOn, per_level: int = ANNOTATIONS_PER_LEVEL
) -> list[str]:
    """Every finding of the review as a command, most severe first, `per_level` of each level.

    A last plain line (not a command) says how many more there are and where to read them.
    """
    entries = [(f, True) for f in (*review.comments, *review.overflow)]
    entries += [(f, False) for f in review.unanchored]
    entries.sort(key=lambda e: _rank(e[0]))
    shown: dict[Level, int] = dict.fromkeys(LEVELS, 0)
    lines: list[str] = []
    hidden = 0
    for finding, anchored in entries:
        level = annotation_level(finding, fail_on=fail_on)
        if shown[level] >= per_level:
            hidden += 1
            continue
        shown[level] += 1
        lines.append(finding_annotation(finding, fail_on=fail_on, anchored=anchored))
    if hidden:
        lines.append(
            f"grok-review: {hidden} more finding{'s' if hidden != 1 else ''} not annotated "
            f"(GitHub shows {per_level} annotations of each level per step); "
            "all are in the job summary."
        )
    return lines


def render_step_summary(
    review: Review | None,
    *,
    notes: Sequence[str] = (),
    limit_bytes: int = STEP_SUMMARY_LIMIT,
) -> str:
    """Notes as a list, then the whole review as markdown (it ends with the usage line)."""
    parts: list[str] = []
    if review is None:
        parts.append("## grok-review\n")
    if notes:
        parts.append("\n".join(f"> {_one_line(n)}" for n in notes) + "\n")
    if review is not None:
        parts.append(render_markdown(review))
    return clip_bytes("\n".join(parts), limit_bytes)


def clip_bytes(text: str, limit: int, *, note: str = CLIPPED_NOTE) -> str:
    """`text` in at most `limit` UTF-8 bytes, cut at a character boundary with `note`."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    room = max(0, limit - len(note.encode("utf-8")))
    return data[:room].decode("utf-8", errors="ignore") + note


def count_findings(review: Review) -> int:
    """Findings the review reports: inline, over the cap and not tied to a changed line."""
    return len(reported(review))


def _rank(f: Finding) -> tuple[int, float, str, int]:
    return (severity_rank(f.severity), -f.confidence, f.path, f.line)


def _clean(text: str) -> str:
    """No control characters (a terminal escape in the log); CR/LF are escaped later."""
    return _COMMAND_CONTROL.sub("", text)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
