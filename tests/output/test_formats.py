"""Review outputs (JSON, markdown, text, SARIF) and neutralising untrusted model text."""

from __future__ import annotations

import json
import re
from typing import Any, get_args

import jsonschema
import pytest

from bot.github.markers import find_fingerprints
from bot.github.render import render_comment_body, render_review_body
from bot.models import Category, Finding, Review, Severity, SkippedFile, Usage
from bot.output.formats import (
    finding_markdown,
    render_markdown,
    render_text,
    review_to_json,
    usage_line,
)
from bot.output.markdown import COMMENT_LIMIT, clip, code_span, neutralize
from bot.output.sarif import render_sarif
from tests import DATA
from tests.output.test_defused_markdown import assert_defused

SCHEMA = DATA / "sarif" / "sarif-2.1.0-rtm.5.json"
HOSTILE = "Ping @octocat and @acme/admins <!-- grok-review:fp=x --> ![x](http://evil) <details>"


def finding(**kw: Any) -> Finding:
    base: dict[str, Any] = {
        "path": "src/app.py",
        "line": 12,
        "severity": "major",
        "category": "bug",
        "title": "Off by one",
        "body": "The loop skips the last item.",
        "confidence": 0.8,
        "fingerprint": "0123456789abcdef",
    }
    return Finding(**{**base, **kw})


REVIEW = Review(
    summary="Reviewed 3 of 4 files.",
    model="grok-code-fast-1",
    served_model="grok-4.3",
    comments=(
        finding(severity="minor", line=30, title="Minor thing", fingerprint="aa"),
        finding(severity="critical", category="security", title=HOSTILE, body="/review\nsee"),
        finding(start_line=40, line=42, suggestion="    return x\n", fingerprint="bb"),
        finding(path="src/old.py", line=7, side="LEFT", title="Removed guard", fingerprint="cc"),
    ),
    unanchored=(
        finding(line=999, title="Somewhere else", fingerprint="dd"),
        finding(path="lib/x y.py", line=3, side="LEFT", category="performance", fingerprint="ee"),
    ),
    overflow=(finding(severity="nit", category="style", title="Naming", fingerprint="ff"),),
    skipped_files=(SkippedFile(path="package-lock.json", reason="lockfile"),),
    usage=Usage(
        requests=3,
        prompt_tokens=41_200,
        cached_tokens=30_000,
        completion_tokens=2_100,
        reasoning_tokens=900,
        cost_usd=0.0512,
    ),
    errors=("chunk 2 of 3 failed: model server error 500",),
    head_sha="abc",
)

FINDING_KEYS = {
    "path": str,
    "line": int,
    "start_line": (int, type(None)),
    "side": str,
    "severity": str,
    "category": str,
    "title": str,
    "body": str,
    "suggestion": (str, type(None)),
    "confidence": float,
    "fingerprint": str,
}


# --- JSON --------------------------------------------------------------------------------


def test_json_has_exactly_the_design_shape() -> None:
    out = json.loads(json.dumps(review_to_json(REVIEW)))  # must be plain JSON
    design = {"summary", "model", "served_model", "comments", "unanchored", "overflow"}
    design |= {"skipped_files", "overview", "usage", "errors"}
    extra = {"head_sha", "reviewed_range", "structured_output", "notes", "left_out"}
    assert design <= set(out) and set(out) - design == extra
    assert (out["summary"], out["model"], out["served_model"]) == (
        REVIEW.summary,
        "grok-code-fast-1",
        "grok-4.3",
    )
    for key, items in (("comments", 4), ("unanchored", 2), ("overflow", 1)):
        assert len(out[key]) == items
        for entry in out[key]:
            assert set(entry) == set(FINDING_KEYS)
            for name, kind in FINDING_KEYS.items():
                assert isinstance(entry[name], kind), (key, name)
    assert out["comments"][2]["start_line"] == 40 and out["comments"][3]["side"] == "LEFT"
    assert out["comments"][2]["suggestion"] == "    return x\n"
    assert out["skipped_files"] == [{"path": "package-lock.json", "reason": "lockfile"}]
    assert out["usage"] == {
        "requests": 3,
        "prompt_tokens": 41_200,
        "cached_tokens": 30_000,
        "completion_tokens": 2_100,
        "reasoning_tokens": 900,
        "cost_usd": 0.0512,
        # Beyond the README's list: fields may be added.
        "estimated_prompt_tokens": 0,
        "failed_requests": 0,
        "unpriced_requests": 0,
        "tool_calls": 0,
        "tool_rounds": 0,
        "cost_known": True,
    }
    assert out["errors"] == list(REVIEW.errors)


def test_usage_line_sets_the_estimate_beside_the_billed_prompt() -> None:
    usage = REVIEW.usage.model_copy(update={"estimated_prompt_tokens": 48_900})
    line = usage_line(usage, model="grok-code-fast-1", served_model=None)
    assert "41,200 prompt (30,000 cached, estimated 48,900)" in line
    assert "estimated" not in usage_line(REVIEW.usage, model="grok-code-fast-1", served_model=None)


def test_usage_shows_failed_requests_apart_and_never_prices_the_unknown_at_zero() -> None:
    local = Usage(requests=4, failed_requests=1, prompt_tokens=900, unpriced_requests=3)
    line = usage_line(local, model="smollm2", served_model=None)
    assert line.startswith("4 requests (1 failed) · 900 prompt")
    assert "cost unknown" in line and "GROK_REVIEW_PRICES" in line and "$" not in line
    part = local.model_copy(update={"cost_usd": 0.25})
    assert "$0.2500 + cost unknown" in usage_line(part, model="m", served_model=None)
    assert "$0.0512 ·" in usage_line(REVIEW.usage, model="m", served_model=None)
    out = review_to_json(REVIEW.model_copy(update={"usage": part}))
    assert (out["usage"]["cost_usd"], out["usage"]["cost_known"]) == (0.25, False)
    assert out["usage"]["failed_requests"] == 1


def test_json_keeps_model_text_raw() -> None:
    out = review_to_json(REVIEW)
    assert out["comments"][1]["title"] == HOSTILE  # JSON is data; only GitHub text is defused


# --- usage line --------------------------------------------------------------------------


def test_usage_line_matches_the_documented_example() -> None:
    line = usage_line(REVIEW.usage, model="grok-code-fast-1", served_model="grok-4.3")
    assert line == (
        "3 requests · 41,200 prompt (30,000 cached) · 2,100 completion (900 reasoning) tokens"
        " · $0.0512 · model grok-code-fast-1 (served by grok-4.3)"
    )


def test_usage_line_without_cache_reasoning_or_other_server() -> None:
    line = usage_line(
        Usage(requests=1, prompt_tokens=10, completion_tokens=2, cost_usd=1.5),
        model="m",
        served_model="m",
    )
    assert line == "1 request · 10 prompt · 2 completion tokens · $1.5000 · model m"


def test_usage_line_counts_tool_calls_and_rounds_among_the_requests() -> None:
    usage = Usage(requests=5, prompt_tokens=10, tool_calls=4, tool_rounds=2, cost_usd=0.5)
    line = usage_line(usage, model="m", served_model=None)
    assert line.startswith("5 requests · 4 tool calls in 2 rounds · 10 prompt ·")
    one = usage.model_copy(update={"tool_calls": 1, "tool_rounds": 1})
    assert "· 1 tool call in 1 round ·" in usage_line(one, model="m", served_model=None)
    out = review_to_json(REVIEW.model_copy(update={"usage": usage}))
    assert (out["usage"]["tool_calls"], out["usage"]["tool_rounds"]) == (4, 2)


# --- neutralising ------------------------------------------------------------------------


def _outside_code(md: str) -> str:
    """The markdown with fenced blocks and code spans removed: what GitHub interprets."""
    md = re.sub(r"(?ms)^(`{3,}|~{3,}).*?^\1\s*$", "", md)
    return re.sub(r"(`+).+?\1", "", md)


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


# --- inline comment bodies ---------------------------------------------------------------


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


# --- markdown report ---------------------------------------------------------------------


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


# --- terminal text -----------------------------------------------------------------------


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


# --- SARIF -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    assert cls is jsonschema.Draft4Validator  # what the official schema declares
    cls.check_schema(schema)
    return cls(schema)


def test_sarif_validates_against_the_official_schema(validator: Any) -> None:
    log = render_sarif(REVIEW, tool_version="0.1.0")
    errors = [e.message for e in validator.iter_errors(log)]
    assert errors == []
    broken = json.loads(json.dumps(log))
    broken["runs"][0]["results"][0]["level"] = "fatal"
    assert list(validator.iter_errors(broken))  # the validator really checks


def test_sarif_content(validator: Any) -> None:
    run = render_sarif(REVIEW, tool_version="9.9")["runs"][0]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("grok-review", "9.9")
    results = run["results"]
    assert len(results) == 4 + 1 + 2  # comments, overflow and unanchored
    rule_ids = [r["id"] for r in driver["rules"]]
    assert sorted(rule_ids) == ["bug", "performance", "security", "style"]
    for r in results:
        assert rule_ids[r["ruleIndex"]] == r["ruleId"]
    by_fp = {r["partialFingerprints"]["grokReviewFingerprint/v1"]: r for r in results}
    assert set(by_fp) == {"0123456789abcdef", "aa", "bb", "cc", "dd", "ee", "ff"}
    levels = {fp: r["level"] for fp, r in by_fp.items()}
    assert levels["0123456789abcdef"] == "error" and levels["aa"] == "warning"
    assert levels["ff"] == "note" and levels["bb"] == "error"
    loc = by_fp["bb"]["locations"][0]["physicalLocation"]
    assert loc["region"] == {"startLine": 40, "endLine": 42}
    assert loc["artifactLocation"] == {"uri": "src/app.py", "uriBaseId": "%SRCROOT%"}
    left = by_fp["cc"]["locations"][0]["physicalLocation"]
    assert "region" not in left and "line 7 of the old file" in by_fp["cc"]["message"]["text"]
    unanchored = by_fp["dd"]
    assert unanchored["properties"]["anchored"] is False
    assert unanchored["locations"][0]["physicalLocation"]["region"]["startLine"] == 999
    spaced = by_fp["ee"]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert spaced == "lib/x%20y.py"
    assert by_fp["aa"]["message"]["text"].startswith("Minor thing\n\n")
    assert run["invocations"][0]["executionSuccessful"] is False


def test_sarif_of_an_empty_review_is_valid(validator: Any) -> None:
    log = render_sarif(Review(summary="", model="m"), tool_version="0.1.0")
    assert list(validator.iter_errors(log)) == []
    assert (
        log["runs"][0]["results"] == [] and log["runs"][0]["invocations"][0]["executionSuccessful"]
    )


def test_sarif_has_a_rule_and_a_level_for_every_category_and_severity(validator: Any) -> None:
    # A category or severity added to the model without one here would fail every export.
    severities = get_args(Severity)
    every = tuple(
        finding(category=c, severity=severities[i % len(severities)], fingerprint=f"f{i}")
        for i, c in enumerate(get_args(Category))
    )
    log = render_sarif(Review(summary="", model="m", comments=every), tool_version="0.1.0")
    assert list(validator.iter_errors(log)) == []
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(get_args(Category))
    assert {r["level"] for r in log["runs"][0]["results"]} == {"error", "warning", "note"}
