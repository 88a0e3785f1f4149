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
    assert "1 finding reported: 1 inline." in review.summary
    assert "Incomplete: 1 request failed" in review.summary


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


# --- every finding counted once -----------------------------------------------------------

WIDE = (
    "--- a/app/db.py\n+++ b/app/db.py\n@@ -10,2 +10,8 @@\n def handler(request):\n"
    + "".join(f"+    step_{i}()\n" for i in range(6))
    + "     return None\n"
)


def placed(i: int, **kw: Any) -> Finding:
    return finding(line=11 + i, title=f"placed {i}", code=f"step_{i}()", **kw)


def unplaced(i: int, **kw: Any) -> Finding:
    return finding(line=400 + i, title=f"elsewhere {i}", code=f"nowhere_{i}()", **kw)


def wide(**config: Any) -> Any:
    pr = PullRequest(title="Steps", files=parse_diff(WIDE))
    return prepare_review(pr, RepoConfig(**config), SETTINGS)


def reported(review: Any) -> int:
    return len(review.comments) + len(review.overflow) + len(review.unanchored)


def test_min_severity_counts_unplaced_findings_below_the_threshold_too() -> None:
    prep = wide(min_severity="critical")
    found = [placed(i, severity="major") for i in range(6)]
    found += [unplaced(i, severity="major") for i in range(3)]
    review = assemble_review(prep, [result(*found)])
    assert reported(review) == 0 and review.left_out.below_threshold == 9
    assert "No findings reported. Left out: 9 below the severity/confidence threshold." in (
        review.summary
    )


def test_every_finding_is_counted_exactly_once() -> None:
    prep = wide(max_comments=2, min_severity="minor")
    posted = placed(5)
    found = [
        placed(0),
        placed(1),
        placed(2),  # over the comment limit
        placed(0).model_copy(update={"confidence": 0.6}),  # a duplicate
        placed(3, severity="nit"),  # below the threshold
        unplaced(0),
        unplaced(1, confidence=0.1),  # below the threshold, off the diff
        unplaced(2),
        unplaced(2).model_copy(update={"confidence": 0.7}),  # a duplicate, off the diff
        posted,
    ]
    review = assemble_review(
        prep, [result(*found)], posted_fingerprints=[fingerprint(posted, prep.files)]
    )
    assert (len(review.comments), len(review.overflow), len(review.unanchored)) == (2, 1, 2)
    assert review.left_out.model_dump() == {
        "below_threshold": 2,
        "already_posted": 1,
        "duplicates": 2,
        "muted": 0,
        "malformed": 0,
        "outside_pr": 0,
    }
    assert reported(review) + review.left_out.total == len(found)
    assert (
        "5 findings reported: 2 inline, 1 over the comment limit, 2 not tied to a changed line. "
        "Left out: 2 below the severity/confidence threshold, 1 already posted, 2 duplicates."
    ) in review.summary


def test_findings_all_off_the_diff_are_reported_not_no_problems() -> None:
    review = assemble_review(wide(), [result(*(unplaced(i) for i in range(9)))])
    assert "9 findings reported: 9 not tied to a changed line." in review.summary
    assert "No" not in review.summary


def test_what_the_model_did_not_answer_is_not_called_reviewed() -> None:
    prep = wide()
    failed = ChunkResult(0, (), Usage(), None, error="chunk 1 (app/db.py) failed: 500")
    review = assemble_review(prep, [failed])
    assert review.summary.startswith(
        "Reviewed 0 of 1 file (0 of 6 changed lines). No findings. "
        "Incomplete: 1 request failed (see errors)."
    )
    ok = assemble_review(prep, [result()])
    assert ok.summary.startswith("Reviewed 1 of 1 file (6 changed lines). No findings. ")


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
    )
    assert review.left_out.malformed == 2  # counted with every other finding, not a note
    assert "Left out: 2 malformed (no title or no body)." in review.summary
    assert review.summary.endswith(" ".join(review.notes))
    assert review.summary.count(note) == 1


def test_a_server_taking_a_schema_adds_nothing_to_the_summary() -> None:
    plain = assemble_review(prepared(), [replace(result(finding()), mode="json_schema")])
    assert (plain.structured_output, plain.notes) == ("json_schema", ())


def test_a_finding_about_a_file_the_pr_does_not_change_is_left_out_and_never_blocks() -> None:
    from bot.review.findings import review_blocks

    prep = wide()
    elsewhere = [
        finding(path="app/models.py", title="bug in code shown only as context"),
        finding(path="#/bot.models", title="a path the model made up", severity="critical"),
    ]
    review = assemble_review(prep, [result(unplaced(0), *elsewhere)])
    assert [f.title for f in review.unanchored] == ["elsewhere 0"]
    assert review.left_out.outside_pr == 2 and reported(review) + review.left_out.total == 3
    assert "Left out: 2 about a file this pull request does not change." in review.summary
    alone = assemble_review(prep, [result(*elsewhere)])
    assert not review_blocks(alone, "minor")
