"""Posting a review: one review with markers, its check run, exactly once through failures."""

from __future__ import annotations

from tests.fakes.openai_server import finding
from tests.github.review.helpers import (
    BASE,
    CONFIG,
    HEAD,
    HEAD2,
    NUMBER,
    OFF_BY_ONE,
    REPO,
    V1,
    V2,
    make_settings,
    review_posts,
    run,
    script,
)


def test_first_review_posts_one_comment_review_with_markers(fake, model, settings):
    script(model, {"src/app.py": [OFF_BY_ONE]})
    outcome = run(settings)
    assert (outcome.posted, outcome.exit_code, outcome.error) == (True, 0, None)
    (post,) = review_posts(fake)
    sent = post.json
    assert sorted(sent) == ["body", "comments", "commit_id", "event"]
    assert (sent["event"], sent["commit_id"]) == ("COMMENT", HEAD)
    (comment,) = sent["comments"]
    assert {k: comment[k] for k in ("path", "line", "side")} == {
        "path": "src/app.py",
        "line": 2,
        "side": "RIGHT",
    }
    fp = outcome.review.comments[0].fingerprint
    assert fp and comment["body"].endswith(f"<!-- grok-review:fp={fp} -->")
    assert "Off-by-one" in comment["body"]
    assert f"<!-- grok-review:head={HEAD} -->" in sent["body"]
    assert f"`{BASE[:7]}..{HEAD[:7]}`" in sent["body"]
    assert outcome.review_url == fake.reviews(REPO, NUMBER)[0]["html_url"]
    assert [c["line"] for c in fake.review_comments(REPO, NUMBER)] == [2]


def test_check_run_carries_annotations_and_conclusion(fake, model, settings):
    script(model, {"src/app.py": [OFF_BY_ONE]})
    run(settings)
    (check,) = fake.check_runs(REPO)
    assert (check["name"], check["head_sha"], check["conclusion"]) == (
        "grok-review",
        HEAD,
        "success",
    )
    (note,) = check["annotations"]
    assert (note["path"], note["start_line"], note["end_line"]) == ("src/app.py", 2, 2)
    assert note["annotation_level"] == "failure"  # major
    assert len(note["title"]) <= 255 and "Off-by-one" in note["title"]


def test_token_without_checks_permission_still_posts_the_review(fake, model):
    settings = make_settings(fake, model, github_token="tok-nochecks")
    script(model, {"src/app.py": [OFF_BY_ONE]})
    outcome = run(settings)
    assert outcome.posted and outcome.exit_code == 0
    assert "token cannot write checks: check run skipped" in outcome.notes
    assert len(fake.reviews(REPO, NUMBER)) == 1 and not fake.check_runs(REPO)


def test_automatic_rerun_on_a_reviewed_head_does_nothing(fake, model, settings):
    script(model, {"src/app.py": [OFF_BY_ONE]})
    run(settings)
    again = run(settings)
    assert (again.skipped_reason, again.posted, again.exit_code) == ("already reviewed", False, 0)
    assert len(model.requests) == 1 and len(review_posts(fake)) == 1


def test_500_on_the_post_that_landed_leaves_exactly_one_review(fake, model, settings, slept):
    script(model, {"src/app.py": [OFF_BY_ONE]})
    fake.inject("POST", r"/reviews$", 502, apply_then_fail=True)
    outcome = run(settings)
    assert outcome.posted and outcome.error is None
    assert len(fake.reviews(REPO, NUMBER)) == 1
    assert len(review_posts(fake)) == 1  # the re-list found it: no second POST
    assert slept == [0]


def test_500_on_a_post_that_did_not_land_is_retried(fake, model, settings, slept):
    fake.inject("POST", r"/reviews$", 503)
    outcome = run(settings)
    assert outcome.posted
    assert [r.status for r in review_posts(fake)] == [503, 200]
    assert len(fake.reviews(REPO, NUMBER)) == 1


def test_post_that_keeps_failing_gives_up_after_the_retries(fake, model, slept):
    settings = make_settings(fake, model, github_retries=2, github_retry_base_s=0.5)
    script(model, {"src/app.py": [OFF_BY_ONE]})
    fake.inject("POST", r"/reviews$", 502, times=3)
    outcome = run(settings)
    assert (outcome.posted, outcome.exit_code) == (False, 3)
    assert outcome.error == "GitHub did not take the review after retries; run again later"
    assert slept == [0.5, 1.0] and len(review_posts(fake)) == 3
    assert fake.reviews(REPO, NUMBER) == []


def test_secondary_rate_limit_on_the_post_waits_retry_after(fake, model, settings, slept):
    script(model, {"src/app.py": [OFF_BY_ONE]})
    limit = {"message": "You have exceeded a secondary rate limit. Please wait a few minutes."}
    fake.inject("POST", r"/reviews$", 403, limit, {"retry-after": "2"})
    outcome = run(settings)
    assert outcome.posted and slept == [2.0]
    assert [r.status for r in review_posts(fake)] == [403, 200]
    assert len(fake.reviews(REPO, NUMBER)) == 1


def test_422_anyway_reposts_once_with_findings_in_the_body(fake, model, settings):
    script(model, {"src/app.py": [OFF_BY_ONE]})
    errors = ["Pull request review thread line must be part of the diff"]
    fake.inject("POST", r"/reviews$", 422, {"message": "Unprocessable Entity", "errors": errors})
    outcome = run(settings)
    assert outcome.posted
    first, second = review_posts(fake)
    assert len(first.json["comments"]) == 1 and second.json["comments"] == []
    fp = outcome.review.comments[0].fingerprint
    assert "Off-by-one" in second.json["body"] and f"grok-review:fp={fp}" in second.json["body"]
    assert any("refused the inline comments" in n for n in outcome.notes)
    assert "> GitHub refused the inline comments" in second.json["body"]
    assert len(fake.reviews(REPO, NUMBER)) == 1


def test_finding_outside_the_diff_goes_to_the_body_never_a_422(fake, model, settings):
    stray = finding(path="src/app.py", line=40, title="Unclosed file", code="f = open(p)")
    script(model, {"src/app.py": [stray]})
    outcome = run(settings)
    (post,) = review_posts(fake)
    assert post.json["comments"] == []
    assert "Findings not tied to a changed line" in post.json["body"]
    assert "Unclosed file" in post.json["body"]
    assert all(r.status != 422 for r in fake.requests)
    assert outcome.posted


def test_request_changes_then_dismissal_once_fixed(fake, model, settings):
    fake.add_file_content(REPO, BASE, CONFIG, "fail_on: major\nrequest_changes: true\n")
    script(model, {"src/app.py": [OFF_BY_ONE]})
    first = run(settings)
    assert first.exit_code == 1
    assert review_posts(fake)[0].json["event"] == "REQUEST_CHANGES"
    assert fake.check_runs(REPO)[0]["conclusion"] == "failure"
    fake.set_pr_head(REPO, NUMBER, HEAD2, V2)
    script(model, {})
    second = run(settings)
    assert second.exit_code == 0
    assert review_posts(fake)[1].json["event"] == "COMMENT"
    states = [r["state"] for r in fake.reviews(REPO, NUMBER)]
    assert states == ["DISMISSED", "COMMENTED"]
    (dismissal,) = fake.calls("PUT", r"/dismissals$")
    assert HEAD2[:7] in dismissal.json["message"]
    assert fake.check_runs(REPO)[1]["conclusion"] == "success"


def test_request_changes_on_the_tokens_own_pr_falls_back_to_comment(fake, model, settings):
    fake.add_pr(REPO, NUMBER, base_sha=BASE, head_sha=HEAD, files=V1, author=fake.bot_login)
    fake.add_file_content(REPO, BASE, CONFIG, "fail_on: major\nrequest_changes: true\n")
    script(model, {"src/app.py": [OFF_BY_ONE]})
    outcome = run(settings, trigger="command")
    first, second = review_posts(fake)
    assert (first.json["event"], second.json["event"]) == ("REQUEST_CHANGES", "COMMENT")
    assert second.json["comments"] == first.json["comments"] != []
    assert outcome.posted and outcome.exit_code == 1
    assert any("refused REQUEST_CHANGES" in n for n in outcome.notes)


def test_binary_and_patchless_files_are_listed_as_skipped(fake, model, settings):
    files = [
        *V1,
        {"filename": "logo.png", "status": "added", "changes": 0},
        {"filename": "data/dump.sql", "status": "modified", "additions": 80000, "changes": 80000},
    ]
    fake.add_pr(REPO, NUMBER, base_sha=BASE, head_sha=HEAD, files=files)
    outcome = run(settings)
    skipped = {(s.path, s.reason) for s in outcome.review.skipped_files}
    assert {("logo.png", "binary"), ("data/dump.sql", "too_large_for_github")} <= skipped
    body = review_posts(fake)[0].json["body"]
    assert "`logo.png`: binary" in body and "`data/dump.sql`: too_large_for_github" in body
