"""The markdown report and the terminal text: sections, order, neutralising, colour."""

from __future__ import annotations

import re

from bot.github.markers import find_fingerprints
from bot.github.render import render_review_body
from bot.models import Review
from bot.output.formats import (
    finding_markdown,
    render_markdown,
    render_text,
    usage_line,
)
from tests.output.helpers import REVIEW, _outside_code, finding
from tests.output.test_defused_markdown import assert_defused


def test_markdown_has_every_section_in_order() -> None:
    md = render_markdown(REVIEW)
    heads = [
        "Reviewed 3 of 4 files.",
        "**Reported by severity:** 1 critical · 4 major · 1 minor · 1 nit",
        "### Inline findings",
        "### Findings not tied to a changed line",
        "### Over the comment limit",
        "### Skipped files",
        "- `package-lock.json`: lockfile",
        "### Errors",
        "chunk 2 of 3 failed",
        usage_line(REVIEW.usage, model=REVIEW.model, served_model=REVIEW.served_model),
    ]
    positions = [md.index(h) for h in heads]
    assert positions == sorted(positions)
    assert "removed line 7" in md and "lines 40-42" in md
    assert "#### `src/app.py`" in md and "#### `src/old.py`" in md


def test_markdown_groups_by_file_with_the_worst_first() -> None:
    md = render_markdown(REVIEW)
    inline = md[md.index("### Inline") : md.index("### Findings not tied")]
    assert inline.index("🔴 critical") < inline.index("🟠 major") < inline.index("🟡 minor")
    assert inline.index("#### `src/app.py`") < inline.index("#### `src/old.py`")


def test_markdown_is_neutralised() -> None:
    md = render_markdown(REVIEW)
    prose = _outside_code(md)
    assert "@octocat" not in prose and "@acme/admins" not in prose
    assert "\\<details>" in md and "![x]" not in md
    assert find_fingerprints(md) == () and "<!-- grok-review:" not in md
    assert not any(ln.strip().startswith("/review") for ln in md.splitlines())
    assert_defused(md, comments=[])


def test_markdown_omits_empty_sections() -> None:
    md = render_markdown(Review(summary="Nothing to do.", model="m"))
    assert "###" not in md and "0 critical · 0 major · 0 minor · 0 nit" in md


def test_finding_markdown_layout_is_shared_by_markdown_and_the_review_body() -> None:
    f = finding(start_line=40, line=42, side="LEFT", suggestion="x = 1\n", body="Why.\n\nMore.")
    text = finding_markdown(f)
    assert text.startswith("- ") and "(`src/app.py` removed lines 40-42)" in text.splitlines()[0]
    assert "\n\n  Why.\n\n  More.\n\n  Suggested replacement:\n  ```" in text
    review = REVIEW.model_copy(update={"unanchored": (f,)})
    assert text in render_markdown(review)
    assert text in render_review_body(review, head_sha="a" * 40, run_key="r")
    assert "(removed lines 40-42)" in finding_markdown(f, with_path=False).splitlines()[0]


def test_finding_markdown_clips_the_body_only_when_asked() -> None:
    f = finding(body="y" * 5_000)
    assert "y" * 5_000 in finding_markdown(f)
    clipped = finding_markdown(f, body_limit=1_000)
    assert "y" * 1_000 not in clipped and "y" * 500 in clipped


def test_text_without_color_has_no_escape_codes() -> None:
    out = render_text(REVIEW, color=False)
    assert "\x1b" not in out
    assert "src/app.py:12" in out and "src/app.py:40" in out and "lib/x y.py:3" in out
    assert out.rstrip("\n").endswith(
        usage_line(REVIEW.usage, model=REVIEW.model, served_model=REVIEW.served_model)
    )
    app = out[out.index("src/app.py\n") : out.index("src/old.py\n")]
    assert app.index("CRITICAL") < app.index("MAJOR") < app.index("MINOR")


def test_text_with_color_has_escape_codes() -> None:
    out = render_text(REVIEW, color=True)
    assert "\x1b[" in out
    assert re.sub(r"\x1b\[[0-9;]*m", "", out) == render_text(REVIEW, color=False)


def test_text_strips_terminal_control_sequences_from_model_text() -> None:
    review = Review(summary="", model="m", comments=(finding(title="x\x1b[2J\x07y"),))
    out = render_text(review, color=False)
    assert "\x1b" not in out and "\x07" not in out and "x[2Jy" in out
