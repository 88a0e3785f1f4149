"""Fingerprints, dedupe, thresholds, the comment cap and the fail-on decision."""

from __future__ import annotations

from typing import Any

import pytest

from bot.diff.parse import parse_file_patch
from bot.models import Finding, Review
from bot.review.anchor import anchor_findings
from bot.review.findings import (
    blocking,
    dedupe,
    fingerprint,
    normalize_title,
    review_blocks,
    select_findings,
    with_fingerprints,
)


def _patch(start: int, *, pad: int = 0) -> str:
    """A hunk adding `query(user_input)` at new line start+1 (after `pad` extra lines)."""
    body = [f" ctx {i}" for i in range(pad)]
    body += [" def handler(request):", "+    cursor.execute('SELECT ' + user_input)", " "]
    n_old = len(body) - 1
    return f"@@ -{start},{n_old} +{start},{len(body)} @@\n" + "\n".join(body) + "\n"


V1 = (parse_file_patch("app/db.py", _patch(10)),)
# The same change ten lines further down (an edit above it moved everything).
V2 = (parse_file_patch("app/db.py", _patch(20)),)


def finding(**kw: Any) -> Finding:
    base: dict[str, Any] = {
        "path": "app/db.py",
        "line": 11,
        "severity": "critical",
        "category": "security",
        "title": "SQL injection via user_input",
        "body": "Use parameters.",
        "confidence": 0.9,
        "code": "cursor.execute('SELECT ' + user_input)",
    }
    return Finding(**{**base, **kw})


def test_fingerprint_survives_a_line_shift() -> None:
    a = fingerprint(finding(line=11), V1)
    b = fingerprint(finding(line=21), V2)
    assert a == b
    assert len(a) == 16 and int(a, 16) >= 0


def test_fingerprint_uses_the_code_at_the_anchor_not_the_quote() -> None:
    # Same anchored line, one quote exact, one with different spacing: same fingerprint.
    a = fingerprint(finding(code="cursor.execute('SELECT ' + user_input)"), V1)
    b = fingerprint(finding(code="cursor.execute( 'SELECT '+user_input )"), V1)
    assert a == b


@pytest.mark.parametrize(
    "change",
    [
        {"category": "bug"},
        {"title": "Unbounded query result"},
        {"path": "app/other.py"},
    ],
)
def test_fingerprint_differs_for_another_file_category_or_problem(change: dict[str, Any]) -> None:
    other = parse_file_patch("app/other.py", _patch(10))
    files = (*V1, other)
    assert fingerprint(finding(), files) != fingerprint(finding(**change), files)


def test_fingerprint_differs_for_different_code() -> None:
    v3 = (parse_file_patch("app/db.py", _patch(10).replace("SELECT", "DELETE")),)
    assert fingerprint(finding(), V1) != fingerprint(finding(code=""), v3)


def test_title_normalisation_ignores_case_digits_and_punctuation() -> None:
    assert normalize_title("SQL  injection (line 42)!") == "sql injection line"
    a = fingerprint(finding(title="SQL injection via user_input"), V1)
    b = fingerprint(finding(title="sql injection (#2) via user-input."), V1)
    assert a == b


def test_unanchored_findings_fall_back_to_the_quote() -> None:
    a = fingerprint(finding(line=300), V1)
    b = fingerprint(finding(line=400), V1)
    assert a == b
    assert a != fingerprint(finding(line=300, code="something else"), V1)


def test_with_fingerprints_sets_the_field() -> None:
    out = with_fingerprints([finding(), finding(line=300)], V1)
    assert [f.fingerprint for f in out] == [
        fingerprint(finding(), V1),
        fingerprint(finding(line=300), V1),
    ]


def test_fingerprint_of_an_anchored_finding_equals_before_and_after_anchoring() -> None:
    # The model cited the wrong line (12, the blank context line); anchoring moves it to 11.
    (placed,), _ = anchor_findings([finding(line=12)], V1)
    assert placed.line == 11
    assert fingerprint(placed, V1) == fingerprint(finding(line=21), V2)


def sel(findings: list[Finding], **kw: Any) -> Any:
    args: dict[str, Any] = {"min_severity": "minor", "min_confidence": 0.5, "max_comments": 25}
    return select_findings(findings, **{**args, **kw})


def test_same_fingerprint_from_two_chunks_appears_once_keeping_the_worse() -> None:
    a = finding(severity="major", fingerprint="f1", line=11)
    b = finding(severity="critical", fingerprint="f1", line=12)
    s = sel([a, b])
    assert s.comments == (b,)
    assert s.duplicates == 1


def test_same_location_and_category_is_a_duplicate_keeping_the_more_confident() -> None:
    a = finding(confidence=0.6, title="one", fingerprint="x1")
    b = finding(confidence=0.8, title="two", fingerprint="x2")
    c = finding(category="bug", title="three", fingerprint="x3")  # same line, other category
    assert dedupe([a, b, c]) == (c, b)  # rank order: c is more confident than b


def test_thresholds_drop_and_count() -> None:
    keep = finding(severity="minor", confidence=0.5, fingerprint="k", line=1)
    low_sev = finding(severity="nit", category="bug", fingerprint="n", line=2)
    low_conf = finding(confidence=0.49, fingerprint="c", line=3)
    s = sel([keep, low_sev, low_conf])
    assert s.comments == (keep,)
    assert s.dropped_below_threshold == 2


def test_secret_findings_always_pass() -> None:
    secret = finding(category="secret", severity="nit", confidence=0.1, fingerprint="s")
    s = sel([secret], min_severity="critical", min_confidence=0.99)
    assert s.comments == (secret,)


def test_style_nits_need_the_option() -> None:
    nit = finding(category="style", severity="nit", fingerprint="st")
    assert sel([nit], min_severity="nit").comments == ()
    assert sel([nit], min_severity="nit", style_nits=True).comments == (nit,)
    major_style = finding(category="style", severity="major", fingerprint="ms")
    assert sel([major_style]).comments == (major_style,)


def test_already_posted_fingerprints_are_skipped_and_counted() -> None:
    a = finding(fingerprint="old", line=1)
    b = finding(fingerprint="new", line=2)
    s = sel([a, b], posted_fingerprints={"old"})
    assert s.comments == (b,) and s.already_posted == 1


def test_cap_keeps_the_most_severe_and_overflows_the_rest_in_order() -> None:
    fs = [
        finding(severity="minor", confidence=0.9, line=1, fingerprint="a"),
        finding(severity="critical", confidence=0.7, line=2, fingerprint="b"),
        finding(severity="major", confidence=0.6, line=3, fingerprint="c"),
        finding(severity="critical", confidence=0.9, line=4, fingerprint="d"),
        finding(severity="major", confidence=0.6, line=1, path="a.py", fingerprint="e"),
    ]
    s = sel(fs, max_comments=3)
    assert [f.fingerprint for f in s.comments] == ["d", "b", "e"]
    assert [f.fingerprint for f in s.overflow] == ["c", "a"]
    assert sel(list(reversed(fs)), max_comments=3) == s  # input order does not matter
    assert sel(fs, max_comments=0).comments == ()


def test_blocking() -> None:
    fs = [finding(severity="major")]
    assert blocking(fs, "major") and blocking(fs, "minor") and blocking(fs, "nit")
    assert not blocking(fs, "critical")
    assert not blocking(fs, "none")
    assert not blocking([], "nit")


def test_review_blocks_on_every_reported_finding_including_unplaced_ones() -> None:
    major = finding(severity="major")
    review = Review(summary="", model="m", unanchored=(major,))
    assert review_blocks(review, "major") and not review_blocks(review, "critical")
    assert review_blocks(Review(summary="", model="m", overflow=(major,)), "major")
    assert review_blocks(Review(summary="", model="m", comments=(major,)), "major")
    assert not review_blocks(Review(summary="", model="m"), "nit")
