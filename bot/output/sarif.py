"""`review-pr --format sarif`: a Review as a SARIF 2.1.0 log, for code-scanning uploads."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from bot.models import Category, Finding, Review

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVELS = {"critical": "error", "major": "error", "minor": "warning", "nit": "note"}
FINGERPRINT_KEY = "grokReviewFingerprint/v1"
RULES: dict[Category, str] = {
    "bug": "Incorrect behaviour",
    "security": "Security vulnerability",
    "secret": "Secret committed to the repository",
    "data-loss": "Possible data loss",
    "concurrency": "Concurrency problem",
    "error-handling": "Error handling problem",
    "performance": "Performance problem",
    "api-contract": "Broken API contract",
    "resource-leak": "Resource leak",
    "maintainability": "Maintainability problem",
    "testing": "Testing problem",
    "documentation": "Documentation problem",
    "style": "Style issue",
}


def _sarif_location(f: Finding) -> dict[str, Any]:
    artifact = {"uri": quote(f.path.lstrip("/"), safe="/"), "uriBaseId": "%SRCROOT%"}
    location: dict[str, Any] = {"artifactLocation": artifact}
    # SARIF regions are lines of the scanned (new) file; a LEFT line number means the old
    # file, so such findings point at the file only and say the line in their message.
    if f.side == "RIGHT" and f.line >= 1:
        start = f.start_line if f.start_line is not None and 1 <= f.start_line <= f.line else f.line
        location["region"] = {"startLine": start, "endLine": f.line}
    return {"physicalLocation": location}


def _sarif_result(f: Finding, *, rule_index: int, anchored: bool) -> dict[str, Any]:
    text = f"{f.title}\n\n{f.body}".strip()
    if f.side == "LEFT":
        text += f"\n\n(On removed code: line {f.line} of the old file.)"
    result: dict[str, Any] = {
        "ruleId": f.category,
        "ruleIndex": rule_index,
        "level": SARIF_LEVELS[f.severity],
        "message": {"text": text},
        "locations": [_sarif_location(f)],
        "properties": {
            "severity": f.severity,
            "confidence": f.confidence,
            "side": f.side,
            "line": f.line,
            "startLine": f.start_line,
            "anchored": anchored,
            "suggestion": f.suggestion,
        },
    }
    if f.fingerprint:
        result["partialFingerprints"] = {FINGERPRINT_KEY: f.fingerprint}
    return result


def render_sarif(review: Review, *, tool_version: str) -> dict[str, Any]:
    """SARIF 2.1.0 log with one run; unanchored findings are results too."""
    entries = [(f, True) for f in (*review.comments, *review.overflow)]
    entries += [(f, False) for f in review.unanchored]
    used = {f.category for f, _ in entries}
    categories = [c for c in RULES if c in used]
    rules = [
        {"id": c, "name": c.title().replace("-", ""), "shortDescription": {"text": RULES[c]}}
        for c in categories
    ]
    results = [
        _sarif_result(f, rule_index=categories.index(f.category), anchored=anchored)
        for f, anchored in entries
    ]
    invocation = {
        "executionSuccessful": not review.errors,
        "toolExecutionNotifications": [
            {"level": "error", "message": {"text": e}} for e in review.errors
        ],
    }
    driver = {"name": "grok-review", "version": tool_version, "rules": rules}
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver}, "invocations": [invocation], "results": results}],
    }
