"""Preparing and assembling a review: pure steps around the model, on plain data."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.config import RepoConfig
from bot.diff.parse import parse_diff
from bot.models import ChunkResult, Finding, PullRequest, Usage
from bot.review.findings import fingerprint
from bot.review.pipeline import assemble_review, prepare_review
from bot.settings import Settings

DIFF = (
    "--- a/app/db.py\n+++ b/app/db.py\n@@ -10,2 +10,3 @@\n"
    " def handler(request):\n+    cursor.execute('SELECT ' + user_input)\n     return None\n"
)
SETTINGS = Settings(api_key=None, prices={})


def finding(**kw: Any) -> Finding:
    base: dict[str, Any] = {
        "path": "app/db.py",
        "line": 11,
        "severity": "critical",
        "category": "security",
        "title": "SQL injection",
        "body": "Use parameters.",
        "confidence": 0.9,
        "code": "cursor.execute('SELECT ' + user_input)",
    }
    return Finding(**{**base, **kw})


def result(*found: Finding) -> ChunkResult:
    return ChunkResult(0, found, Usage(requests=1), "grok-4.3")


def prepared(**config: Any) -> Any:
    pr = PullRequest(title="Add a query", files=parse_diff(DIFF))
    return prepare_review(pr, RepoConfig(**config), SETTINGS)


def test_every_finding_gets_the_fingerprint_of_its_anchor() -> None:
    prep = prepared()
    placed, off = finding(), finding(line=300, title="Elsewhere", code="other()")
    review = assemble_review(prep, [result(placed, off)])
    ((comment,), (unanchored,)) = review.comments, review.unanchored
    assert comment.fingerprint == fingerprint(placed, prep.files)
    assert unanchored.fingerprint == fingerprint(off, prep.files)


def test_unanchored_findings_face_the_same_bar_as_inline_ones() -> None:
    prep = prepared(min_severity="major", min_confidence=0.5)

    def off(line: int, title: str, **kw: Any) -> Finding:  # no line of the diff is near
        return finding(line=line, title=title, code=f"{title}()", **kw)

    twice = off(301, "twice", severity="major")
    posted = off(302, "posted")
    findings = [
        off(300, "kept"),
        twice,
        twice.model_copy(update={"confidence": 0.6}),  # the same problem again, less sure
        posted,
        off(303, "minor", severity="minor"),
        off(304, "unsure", confidence=0.4),
    ]
    posted_fp = fingerprint(posted, prep.files)
    review = assemble_review(prep, [result(*findings)], posted_fingerprints=[posted_fp])
    assert review.comments == ()
    assert [(f.title, f.confidence) for f in review.unanchored] == [("kept", 0.9), ("twice", 0.9)]


def test_usage_errors_and_served_model_are_gathered_from_every_chunk() -> None:
    prep = prepared()
    failed = ChunkResult(1, (), Usage(requests=2), None, error="chunk 2 failed: boom")
    review = assemble_review(prep, [result(finding()), failed])
    assert review.usage.requests == 3
    assert review.errors == ("chunk 2 failed: boom",)
    assert review.served_model == "grok-4.3"  # differs from the requested model
    assert "1 critical" in review.summary and "Incomplete" in review.summary


def test_the_prompt_prefix_carries_no_secret_from_pr_text_or_instructions() -> None:
    token = "ghp_" + "A1b2" * 9  # assembled so this file holds no scannable token
    pr = PullRequest(title=f"Rotate {token}", body=f"Old: {token}", files=parse_diff(DIFF))
    config = RepoConfig(
        instructions=f"Key {token}",
        path_instructions=[{"path": "app/**", "instructions": f"Use {token}"}],
    )
    prep = prepare_review(pr, config, SETTINGS, agents_md=f"CI token {token}")
    text = "\n".join(m["content"] for m in prep.prefix_messages)
    assert token not in text
    assert text.count("[REDACTED:github-token]") == 5


def test_what_the_run_learned_about_the_server_is_said_once_in_the_summary() -> None:
    prep = prepared()
    note = "The model server ran out of its shared context."
    first = ChunkResult(0, (finding(),), Usage(requests=2), None, mode="json_schema")
    later = ChunkResult(1, (), Usage(requests=1), None, mode="json_object", dropped=2)
    again = ChunkResult(2, (), Usage(requests=1), None, mode="json_object", notes=(note,))
    review = assemble_review(prep, [first, later, again, replace(again, index=3)])
    assert review.structured_output == "json_object"  # the lowest rung any answer came in
    assert review.notes == (
        "The model server takes no JSON schema: the model was asked for JSON mode with the "
        "schema attached (response_format json_object).",
        note,
        "2 findings without a title or a body dropped as malformed.",
    )
    assert review.summary.endswith(" ".join(review.notes))
    assert review.summary.count(note) == 1


def test_a_server_taking_a_schema_adds_nothing_to_the_summary() -> None:
    plain = assemble_review(prepared(), [replace(result(finding()), mode="json_schema")])
    assert (plain.structured_output, plain.notes) == ("json_schema", ())
