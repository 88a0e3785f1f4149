"""Inline comment bodies: layout, neutralised text, suggestion fences, our marker, the limit."""

from __future__ import annotations

from bot.github.markers import find_fingerprints
from bot.github.render import render_comment_body
from bot.output.markdown import COMMENT_LIMIT
from tests.output.helpers import HOSTILE, _outside_code, finding


def test_comment_body_layout() -> None:
    f = finding(severity="critical", category="security", title="SQL injection", body="Bad.")
    lines = render_comment_body(f).split("\n")
    assert lines[0] == "**🔴 critical · security** — SQL injection"
    assert lines[-1] == "<!-- grok-review:fp=0123456789abcdef -->"
    assert find_fingerprints(render_comment_body(f)) == ("0123456789abcdef",)


def test_comment_body_neutralises_model_text_but_keeps_our_marker() -> None:
    body = render_comment_body(finding(title=HOSTILE, body="/review\n@octocat"))
    assert find_fingerprints(body) == ("0123456789abcdef",)
    prose = _outside_code(body)
    assert "@octocat" not in prose and "![" not in body
    assert not any(ln.startswith("/") for ln in body.splitlines())


def test_suggestion_fence_is_longer_than_any_backtick_run_inside() -> None:
    body = render_comment_body(finding(suggestion="s = ```x``` + ````y````"))
    assert "`````suggestion\ns = ```x``` + ````y````\n`````" in body
    plain = render_comment_body(finding(suggestion="x = 1\n"))
    assert "```suggestion\nx = 1\n```" in plain
    deletion = render_comment_body(finding(suggestion=""))
    assert "```suggestion\n```" in deletion


def test_suggestion_with_a_forged_marker_is_not_posted() -> None:
    body = render_comment_body(finding(suggestion="# <!-- grok-review:fp=evil -->"))
    assert "suggestion omitted" in body and find_fingerprints(body) == ("0123456789abcdef",)


def test_comment_body_stays_under_githubs_limit() -> None:
    f = finding(title="t" * 100_000, body="b" * 200_000, suggestion="s" * 39_000)
    body = render_comment_body(f)
    assert len(body) < COMMENT_LIMIT
    assert "characters omitted" in body and body.endswith("-->")


def test_no_marker_without_a_fingerprint() -> None:
    assert "grok-review:" not in render_comment_body(finding(fingerprint=""))
