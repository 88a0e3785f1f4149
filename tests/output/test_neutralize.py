"""Neutralising untrusted model text for GitHub markdown: mentions, markup, markers, fences."""

from __future__ import annotations

from bot.github.markers import find_fingerprints
from bot.output.markdown import clip, code_span, neutralize
from tests.output.helpers import HOSTILE, _outside_code
from tests.output.test_defused_markdown import assert_defused


def test_neutralize_defuses_everything_that_acts_on_github() -> None:
    # tests/output/test_defused_markdown.py renders a whole adversarial corpus; this is the
    # raw text of one case.
    out = neutralize(HOSTILE + "\n/review full\n> /approve\n<img src=x>")
    prose = _outside_code(out)
    assert "@octocat" not in prose and "@acme/admins" not in prose
    assert "`@octocat`" in out and "`@acme/admins`" in out
    assert "<" not in prose.replace("\\<", "").replace("<http://evil>", "")
    assert find_fingerprints(out) == () and "<!-- grok-review:" not in out
    assert "![" not in out and "!\\[x\\](<http://evil>)" in out
    assert not any(ln.lstrip("> ").startswith("/") for ln in out.splitlines())
    assert_defused(out, comments=[])


def test_neutralize_leaves_code_alone_but_not_forged_markers() -> None:
    text = "Use `a<b && @decorator`:\n```py\nif a < b:  # @me\n    pass\n```\nok"
    assert neutralize(text) == text
    fenced = "```\n<!-- grok-review:fp=abc -->\n```"
    assert find_fingerprints(neutralize(fenced)) == ()
    assert find_fingerprints(neutralize("<!-- GROK-REVIEW:fp=abc -->")) == ()


def test_neutralize_closes_an_open_fence() -> None:
    out = neutralize("text\n````py\ncode\n```")
    assert out.endswith("```\n````")


def test_neutralize_keeps_emails_and_urls() -> None:
    text = "Mail a@b.org or see https://medium.com/@user/post."
    assert neutralize(text) == "Mail a@b.org or see <https://medium.com/@user/post>."


def test_clip() -> None:
    assert clip("short", 10) == "short"
    out = clip("x" * 10_000, 1_000)
    assert len(out) <= 1_000
    kept = out.index("\n\n…")
    assert out.endswith(f"(truncated, {10_000 - kept:,} characters omitted)")
    assert clip("abcdef", 3) == "abc"


def test_code_span_survives_backticks() -> None:
    assert code_span("a`b") == "``a`b``"
    assert code_span("`x") == "`` `x ``"
