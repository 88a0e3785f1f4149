"""The SARIF export, validated against the official SARIF 2.1.0 schema."""

from __future__ import annotations

import json
from typing import Any, get_args

import jsonschema
import pytest

from bot.models import Category, Review, Severity
from bot.output.sarif import render_sarif
from tests import DATA
from tests.output.helpers import REVIEW, finding

SCHEMA = DATA / "sarif" / "sarif-2.1.0-rtm.5.json"


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
