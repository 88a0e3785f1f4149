"""Muting in the pure selection stage: by fingerprint, by likeness, counted in the summary."""

from __future__ import annotations

from typing import Any

from bot.config import RepoConfig
from bot.diff.parse import parse_diff
from bot.models import ChunkResult, Finding, MutedKind, PullRequest, Usage
from bot.review.findings import fingerprint, is_like, select_findings, similar_titles
from bot.review.pipeline import assemble_review, prepare_review
from bot.settings import Settings

DIFF = (
    "--- a/app/db.py\n+++ b/app/db.py\n@@ -10,2 +10,4 @@\n"
    " def handler(request):\n+    cursor.execute('SELECT ' + user_input)\n"
    "+    retries = 3\n     return None\n"
)
SETTINGS = Settings(api_key=None, prices={})


def finding(**kw: Any) -> Finding:
    base: dict[str, Any] = {
        "path": "app/db.py",
        "line": 11,
        "severity": "major",
        "category": "security",
        "title": "SQL injection through user_input",
        "body": "Use parameters.",
        "confidence": 0.9,
        "code": "cursor.execute('SELECT ' + user_input)",
    }
    return Finding(**{**base, **kw})


def muted(**kw: Any) -> MutedKind:
    base: dict[str, Any] = {
        "fingerprint": "0" * 16,
        "path": "app/db.py",
        "category": "security",
        "title": "Possible SQL injection through user_input",
    }
    return MutedKind(**{**base, **kw})


def test_similar_titles_is_the_documented_rule() -> None:
    assert similar_titles("Off-by-one in loop bound", "Possible off-by-one in loop bound")
    assert similar_titles("Off-by-one", "Possible off-by-one")  # 3 of 4 words: the bar
    assert not similar_titles("SQL injection via input", "SQL injection through input")
    assert similar_titles("Line 42 leaks!", "line 7 leaks")  # digits and punctuation go
    assert not similar_titles("Missing null check", "Missing null check on user")
    assert not similar_titles("Unused import", "Unused variable")


def test_likeness_needs_the_same_path_and_category() -> None:
    f = finding()
    assert is_like(f, muted())
    assert not is_like(f, muted(path="app/other.py"))
    assert not is_like(f, muted(category="bug"))
    assert not is_like(f, muted(title="Query built by string concatenation"))
    assert is_like(f.model_copy(update={"fingerprint": "f" * 16}), muted(fingerprint="f" * 16))


def test_a_secret_is_muted_by_its_fingerprint_only() -> None:
    secret = finding(category="secret", title="AWS key in code", fingerprint="a" * 16)
    assert not is_like(secret, muted(category="secret", title="AWS key in code"))
    assert is_like(secret, muted(category="secret", title="other", fingerprint="a" * 16))


def test_selection_drops_muted_kinds_and_counts_them() -> None:
    fs = [
        finding(fingerprint="1" * 16),
        finding(line=12, title="Hard-coded token", category="secret", fingerprint="2" * 16),
        finding(line=12, title="Low", severity="nit", fingerprint="3" * 16),  # below threshold
    ]
    kinds = [muted(), muted(fingerprint="2" * 16, category="secret", title="x")]
    selection = select_findings(
        fs, min_severity="minor", min_confidence=0.5, max_comments=10, muted=kinds
    )
    assert selection.comments == () and selection.muted == 2
    assert selection.dropped_below_threshold == 1
    plain = select_findings(fs, min_severity="minor", min_confidence=0.5, max_comments=10)
    assert len(plain.comments) == 2 and plain.muted == 0


def _prepared() -> Any:
    pr = PullRequest(title="Add a query", files=parse_diff(DIFF))
    return prepare_review(pr, RepoConfig(), SETTINGS)


def test_assembled_review_mutes_by_fingerprint_and_by_likeness_and_says_so() -> None:
    prep = _prepared()
    injection = finding()
    other = finding(line=12, title="Retries never used", category="bug", code="retries = 3")
    off_diff = finding(line=300, title="Possible SQL injection through the user_input", code="q()")
    results = [ChunkResult(0, (injection, other, off_diff), Usage(requests=1), None)]
    by_fp = MutedKind(
        fingerprint=fingerprint(other, prep.files),
        path="app/db.py",
        category="bug",
        title="A title nothing like it",
    )
    review = assemble_review(prep, results, muted=[muted(), by_fp])
    # The injection (likeness), the retries finding (fingerprint) and the finding off the diff
    # (likeness, among the unanchored) are all muted.
    assert review.comments == () and review.unanchored == ()
    assert "Left out: 3 muted by earlier feedback." in review.summary
    kept = assemble_review(prep, results)
    assert len(kept.comments) == 2 and "muted" not in kept.summary
