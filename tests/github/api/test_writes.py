"""Writing through the adapter: reviews exactly as built (never APPROVE), check runs, dismissals."""

from __future__ import annotations

import pytest

from bot.errors import GitHubError
from tests.github.api.helpers import (
    BOT_BODY,
    HEAD,
    NUMBER,
    REPO,
    make_client,
)


def test_create_review_sends_exactly_the_body_and_refuses_approve(fake):
    client = make_client(fake)
    comment = {"path": "src/app.py", "body": "x", "line": 2, "side": "RIGHT"}
    item = client.create_review(
        REPO, NUMBER, commit_id=HEAD, body=BOT_BODY, event="COMMENT", comments=[comment]
    )
    (post,) = fake.calls("POST", r"/pulls/7/reviews$")
    assert post.json == {
        "commit_id": HEAD,
        "body": BOT_BODY,
        "event": "COMMENT",
        "comments": [comment],
    }
    assert item.id == fake.reviews(REPO, NUMBER)[0]["id"]
    with pytest.raises(ValueError, match="APPROVE"):
        client.create_review(
            REPO,
            NUMBER,
            commit_id=HEAD,
            body="b",
            event="APPROVE",
            comments=(),  # type: ignore[arg-type]
        )
    assert len(fake.calls("POST", r"/reviews$")) == 1


def test_422_is_a_github_error_with_githubs_message(fake):
    client = make_client(fake)
    bad = {"path": "src/app.py", "body": "x", "line": 40, "side": "RIGHT"}
    with pytest.raises(GitHubError) as caught:
        client.create_review(
            REPO, NUMBER, commit_id=HEAD, body="b", event="COMMENT", comments=[bad]
        )
    assert caught.value.status == 422
    assert "must be part of the diff" in str(caught.value)


def test_check_run_annotations_go_fifty_per_request(fake):
    notes = [
        {
            "path": "src/app.py",
            "start_line": 2,
            "end_line": 2,
            "annotation_level": "warning",
            "message": f"m{i}",
        }
        for i in range(120)
    ]
    make_client(fake).create_check_run(
        REPO,
        name="grok-review",
        head_sha=HEAD,
        conclusion="success",
        title="t",
        summary="s",
        annotations=notes,
    )
    (run,) = fake.check_runs(REPO)
    assert [a["message"] for a in run["annotations"]] == [n["message"] for n in notes]
    sizes = [len(r.json["output"]["annotations"]) for r in fake.calls("POST", "/check-runs")]
    sizes += [len(r.json["output"]["annotations"]) for r in fake.calls("PATCH", "/check-runs/")]
    assert sizes == [50, 50, 20]
    assert (run["conclusion"], run["status"]) == ("success", "completed")


def test_dismiss_review(fake):
    review = fake.add_review(REPO, NUMBER, body=BOT_BODY, state="CHANGES_REQUESTED")
    make_client(fake).dismiss_review(REPO, NUMBER, review["id"], message="fixed")
    assert fake.reviews(REPO, NUMBER)[0]["state"] == "DISMISSED"
