"""Reviews on the fake: what GitHub stores, the 422s it answers, pending reviews, dismissals."""

from __future__ import annotations

import pytest
from github import GithubException

from tests.github.fake_github.helpers import (
    HEAD,
    NUMBER,
    REPO,
    client,
    post_review,
)


def test_valid_review_with_comments_is_stored(fake):
    comments = [
        {"path": "src/app.py", "body": "added line", "line": 2, "side": "RIGHT"},
        {"path": "src/app.py", "body": "removed line", "line": 21, "side": "LEFT"},
        {
            "path": "src/app.py",
            "body": "range",
            "start_line": 21,
            "line": 23,
            "side": "RIGHT",
            "start_side": "RIGHT",
        },
    ]
    review = post_review(fake, comments)
    assert (review.state, review.user.login, review.commit_id) == (
        "COMMENTED",
        "grok-review[bot]",
        HEAD,
    )
    pr = client(fake).get_repo(REPO).get_pull(NUMBER)
    assert [r.id for r in pr.get_reviews()] == [review.id]
    listed = list(pr.get_review_comments())
    assert [(c.line, c.side, c.start_line) for c in listed] == [
        (2, "RIGHT", None),
        (21, "LEFT", None),
        (23, "RIGHT", 21),
    ]
    assert {c["pull_request_review_id"] for c in fake.review_comments(REPO, NUMBER)} == {review.id}
    assert fake.reviews(REPO, NUMBER)[0]["user"]["type"] == "Bot"


@pytest.mark.parametrize(
    ("comment", "error"),
    [
        (
            {"path": "src/app.py", "line": 10, "side": "RIGHT"},
            "Pull request review thread line must be part of the diff",
        ),
        (
            {"path": "src/app.py", "line": 4, "side": "LEFT"},
            "Pull request review thread line must be part of the diff",
        ),
        (
            {"path": "logo.png", "line": 1},
            "Pull request review thread line must be part of the diff",
        ),
        ({"path": "nope.py", "line": 2}, "Line could not be resolved"),
        (
            {"path": "src/app.py", "start_line": 3, "line": 22, "side": "RIGHT"},
            "Pull request review thread start line must be part of the same hunk as the line.",
        ),
    ],
)
def test_invalid_comment_fails_whole_review_and_stores_nothing(fake, comment, error):
    good = {"path": "src/app.py", "body": "fine", "line": 2}
    with pytest.raises(GithubException) as caught:
        post_review(fake, [good, {**comment, "body": "x"}])
    assert caught.value.status == 422
    assert caught.value.data["message"] == "Unprocessable Entity"
    assert caught.value.data["errors"] == [error]
    assert fake.reviews(REPO, NUMBER) == [] and fake.review_comments(REPO, NUMBER) == []


def test_review_body_limit_and_unknown_commit(fake):
    with pytest.raises(GithubException) as caught:
        post_review(fake, [], body="x" * 65537)
    assert caught.value.data["errors"] == ["Body is too long (maximum is 65536 characters)"]
    requester = client(fake).requester
    with pytest.raises(GithubException) as caught:
        requester.requestJsonAndCheck(
            "POST", f"/repos/{REPO}/pulls/{NUMBER}/reviews", input={"commit_id": "e" * 40}
        )
    assert (
        caught.value.status == 422 and "No commit found for SHA" in caught.value.data["errors"][0]
    )
    assert fake.reviews(REPO, NUMBER) == []


def test_old_head_stays_valid_after_push_and_lines_follow_new_diff(fake):
    fake.set_pr_head(
        REPO,
        NUMBER,
        "f" * 40,
        [{"filename": "src/app.py", "status": "modified", "patch": "@@ -5,1 +5,2 @@\n x\n+y"}],
    )
    assert post_review(fake, [{"path": "src/app.py", "body": "b", "line": 6}]).commit_id == HEAD
    with pytest.raises(GithubException):
        post_review(fake, [{"path": "src/app.py", "body": "b", "line": 2}])


def test_pending_review_blocks_another_and_dismissal_rules(fake):
    pending = post_review(fake, [], event=None)
    assert pending.state == "PENDING"
    with pytest.raises(GithubException) as caught:
        post_review(fake, [])
    assert caught.value.data["errors"] == ["User can only have one pending review per pull request"]
    client(fake).requester.requestJsonAndCheck(
        "DELETE", f"/repos/{REPO}/pulls/{NUMBER}/reviews/{pending.id}"
    )
    changes = post_review(fake, [], event="REQUEST_CHANGES", body="Please fix")
    changes.dismiss("outdated")
    assert fake.reviews(REPO, NUMBER)[0]["state"] == "DISMISSED"
    commented = post_review(fake, [])
    with pytest.raises(GithubException) as caught:
        commented.dismiss("no")
    assert caught.value.data["errors"] == ["Can not dismiss a commented pull request review"]


def test_apply_then_fail_stores_one_review_and_answers_500(fake):
    fake.inject("POST", r"/pulls/\d+/reviews$", 500, apply_then_fail=True)
    with pytest.raises(GithubException) as caught:
        post_review(fake, [{"path": "src/app.py", "body": "b", "line": 2}])
    assert caught.value.status == 500
    assert len(fake.reviews(REPO, NUMBER)) == 1 and len(fake.review_comments(REPO, NUMBER)) == 1
    assert client(fake).get_repo(REPO).get_pull(NUMBER).get_reviews().totalCount == 1
