"""Workflow-command annotations and the step summary (bot/action/annotations.py)."""

from __future__ import annotations

import re

import pytest

from bot.action.annotations import (
    ANNOTATIONS_PER_LEVEL,
    CLIPPED_NOTE,
    annotation_level,
    clip_bytes,
    count_findings,
    escape_data,
    escape_property,
    finding_annotation,
    render_step_summary,
    review_annotations,
    workflow_command,
)
from bot.models import Finding, Review, Severity, Usage
from tests.output.test_defused_markdown import assert_defused

COMMAND = re.compile(r"^::(error|warning|notice)(?: ([^:]*))?::(.*)$")


def make(
    severity: Severity = "major", *, line: int = 3, path: str = "src/app.py", **fields: object
) -> Finding:
    base: dict[str, object] = {
        "path": path,
        "line": line,
        "severity": severity,
        "category": "bug",
        "title": "Off by one",
        "body": "The loop skips the last element.",
        "confidence": 0.9,
    }
    return Finding.model_validate({**base, **fields})


def unescape(text: str) -> str:
    """What the runner does to data (toolkit's unescape order: %0D, %0A, %3A, %2C, then %25)."""
    for code, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(code, char)
    return text


def parse(line: str) -> tuple[str, dict[str, str], str]:
    match = COMMAND.match(line)
    assert match, line
    props = {}
    for part in (match.group(2) or "").split(","):
        if part:
            key, _, value = part.partition("=")
            props[key] = unescape(value)
    return match.group(1), props, unescape(match.group(3))


# --- escaping -------------------------------------------------------------------------------


def test_escape_data_follows_github_rules() -> None:
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    # `:` and `,` are fine in data; only properties escape them.
    assert escape_data("a: b, c") == "a: b, c"


def test_escape_property_also_escapes_colon_and_comma() -> None:
    assert escape_property("C:\\x,y%\n") == "C%3A\\x%2Cy%25%0A"


def test_percent_is_escaped_first_so_codes_survive_a_round_trip() -> None:
    text = "literal %0A and %3A stay literal"
    assert unescape(escape_property(text)) == text
    assert unescape(escape_data(text)) == text


def test_model_text_cannot_start_a_command_of_its_own() -> None:
    hostile = make(title="x\n::error::forged", body="ok\r\n::add-mask::secret\n::stop-commands::t")
    line = finding_annotation(hostile, fail_on="none")
    assert "\n" not in line and "\r" not in line
    assert line.startswith("::error file=")  # the one command, on one line
    _, props, message = parse(line)
    assert "::stop-commands::t" in message  # kept as text, shown to the reader
    assert props["title"].startswith("major bug: x ::error")


def test_control_characters_are_dropped() -> None:
    line = workflow_command("warning", "bell\x07 and \x1b[31mred", title="t\x00")
    assert "\x07" not in line and "\x1b" not in line and "\x00" not in line
    assert line == "::warning title=t::bell and [31mred"


def test_command_without_properties() -> None:
    assert workflow_command("notice", "hello") == "::notice::hello"


# --- one finding ----------------------------------------------------------------------------


def test_anchored_multi_line_finding_has_file_line_and_end_line() -> None:
    f = make("minor", line=12, start_line=10, path="a,b:c.py")
    level, props, message = parse(finding_annotation(f, fail_on="none"))
    assert level == "warning"
    assert props == {
        "file": "a,b:c.py",
        "line": "10",
        "endLine": "12",
        "title": "minor bug: Off by one",
    }
    assert message == "The loop skips the last element."


def test_left_side_finding_names_the_old_line_instead_of_a_wrong_new_one() -> None:
    _, props, message = parse(finding_annotation(make(side="LEFT", line=7), fail_on="none"))
    assert "line" not in props and props["file"] == "src/app.py"
    assert message.startswith("(On removed line 7 of the old file.)")


def test_unanchored_finding_points_at_the_file_only() -> None:
    _, props, message = parse(finding_annotation(make(line=99), fail_on="none", anchored=False))
    assert "line" not in props
    assert "Line 99, not a changed line" in message


def test_suggestion_is_part_of_the_message() -> None:
    f = make(suggestion="for x in xs:\n    use(x)")
    _, _, message = parse(finding_annotation(f, fail_on="none"))
    assert message.endswith("Suggested replacement:\nfor x in xs:\n    use(x)")


def test_long_title_is_clipped_to_github_limit() -> None:
    _, props, _ = parse(finding_annotation(make(title="t" * 400), fail_on="none"))
    assert len(props["title"]) == 255 and props["title"].endswith("…")


@pytest.mark.parametrize(
    ("severity", "fail_on", "level"),
    [
        ("critical", "none", "error"),
        ("major", "none", "error"),
        ("minor", "none", "warning"),
        ("nit", "none", "notice"),
        ("minor", "minor", "error"),  # fails the job: an error
        ("nit", "minor", "notice"),
        ("nit", "nit", "error"),
        ("major", "critical", "error"),  # critical/major are errors whatever fail_on says
        ("minor", "major", "warning"),
    ],
)
def test_level(severity: Severity, fail_on: str, level: str) -> None:
    assert annotation_level(make(severity), fail_on=fail_on) == level  # type: ignore[arg-type]


# --- a whole review ---------------------------------------------------------------------------


def review_with(*findings: Finding, unanchored: tuple[Finding, ...] = ()) -> Review:
    return Review(summary="s", model="grok-4.3", comments=findings, unanchored=unanchored)


def test_most_severe_first_across_inline_overflow_and_unanchored() -> None:
    review = Review(
        summary="s",
        model="m",
        comments=(make("nit", line=1), make("minor", line=2)),
        overflow=(make("major", line=3),),
        unanchored=(make("critical", line=4),),
    )
    lines = review_annotations(review, fail_on="none")
    severities = [parse(line)[1]["title"].split()[0] for line in lines]
    assert severities == ["critical", "major", "minor", "nit"]


def test_at_most_ten_of_each_level_then_a_plain_count() -> None:
    majors = [make("major", line=i, confidence=0.5 + i / 100) for i in range(1, 14)]
    minors = [make("minor", line=100 + i) for i in range(3)]
    lines = review_annotations(review_with(*minors, *majors), fail_on="none")
    commands = [line for line in lines if line.startswith("::")]
    levels = [parse(line)[0] for line in commands]
    assert levels.count("error") == ANNOTATIONS_PER_LEVEL
    assert levels.count("warning") == 3
    # The ten shown are the most confident of the thirteen majors.
    shown = sorted(int(parse(line)[1]["line"]) for line in commands[:10])
    assert shown == list(range(4, 14))
    assert lines[-1].startswith("grok-review: 3 more findings not annotated")
    assert not lines[-1].startswith("::")


def test_no_findings_no_lines() -> None:
    assert review_annotations(review_with(), fail_on="major") == []


def test_count_findings() -> None:
    review = Review(
        summary="",
        model="m",
        comments=(make(),),
        overflow=(make(line=5), make(line=6)),
        unanchored=(make(line=9),),
    )
    assert count_findings(review) == 4


# --- step summary -----------------------------------------------------------------------------


def test_summary_has_notes_review_and_usage_line() -> None:
    usage = Usage(requests=2, prompt_tokens=1000, completion_tokens=100, cost_usd=0.0123)
    review = Review(summary="Looks fine.", model="grok-4.3", comments=(make(),), usage=usage)
    text = render_step_summary(review, notes=["token is read-only:\nshown here"])
    assert text.startswith("> token is read-only: shown here\n")
    assert "## grok-review" in text and "Looks fine." in text
    assert "Off by one" in text
    assert "$0.0123" in text and "2 requests" in text


def test_summary_without_review_still_has_a_heading_and_the_notes() -> None:
    text = render_step_summary(None, notes=["no key"])
    assert text.startswith("## grok-review") and "> no key" in text


def test_summary_neutralises_model_text() -> None:
    review = Review(summary="ping @octocat <img src=x>", model="m")
    text = render_step_summary(review)
    assert "`@octocat`" in text  # a code span notifies nobody
    assert_defused(text, comments=[])


def test_summary_is_clipped_to_the_byte_limit_on_a_character_boundary() -> None:
    body = "é" * 5000  # two bytes each
    review = Review(summary=body, model="m")
    text = render_step_summary(review, limit_bytes=4001)
    assert len(text.encode("utf-8")) <= 4001
    assert text.endswith("1 MiB of a step summary.)_\n")
    # Cut on a character boundary: no half "é" (dropped, never replaced), and no more lost.
    kept = text.removesuffix(CLIPPED_NOTE)
    room = 4001 - len(CLIPPED_NOTE.encode("utf-8"))
    assert kept.endswith("é") and "\ufffd" not in kept
    assert room - 1 <= len(kept.encode("utf-8")) <= room


def test_clip_bytes_keeps_short_text() -> None:
    assert clip_bytes("short", 100) == "short"
    assert clip_bytes("x" * 50, 20, note="!") == "x" * 19 + "!"
