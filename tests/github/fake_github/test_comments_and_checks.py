"""Issue comments and check runs on the fake: seeded, created, edited, and their limits."""

from __future__ import annotations

import pytest
from github import GithubException

from tests.github.fake_github.helpers import (
    HEAD,
    NUMBER,
    REPO,
    client,
)


def test_issue_comments_seeded_created_and_edited(fake):
    fake.add_issue_comment(
        REPO, NUMBER, "/grok review", author="maintainer", author_association="OWNER"
    )
    pr = client(fake).get_repo(REPO).get_pull(NUMBER)
    mine = pr.create_issue_comment("<!-- grok-review:summary -->\nold")
    mine.edit("<!-- grok-review:summary -->\nnew")
    listed = [(c.user.login, c.body) for c in pr.get_issue_comments()]
    assert listed == [
        ("maintainer", "/grok review"),
        ("grok-review[bot]", "<!-- grok-review:summary -->\nnew"),
    ]


def test_check_run_create_and_patch(fake):
    repo = client(fake).get_repo(REPO)
    note = {
        "path": "src/app.py",
        "start_line": 2,
        "end_line": 2,
        "annotation_level": "warning",
        "message": "m",
    }
    run = repo.create_check_run(
        name="grok-review",
        head_sha=HEAD,
        status="in_progress",
        output={"title": "t", "summary": "s", "annotations": [note]},
    )
    run.edit(conclusion="neutral", output={"title": "t", "summary": "done", "annotations": [note]})
    (stored,) = fake.check_runs(REPO)
    assert (stored["status"], stored["conclusion"], stored["output"]["summary"]) == (
        "completed",
        "neutral",
        "done",
    )
    assert len(stored["annotations"]) == 2
    with pytest.raises(GithubException) as caught:
        run.edit(output={"title": "t", "summary": "s", "annotations": [note] * 51})
    assert caught.value.status == 422
    with pytest.raises(GithubException) as caught:
        client(fake, "tok-nochecks").get_repo(REPO).create_check_run(name="x", head_sha=HEAD)
    assert caught.value.status == 403


def test_reactions_to_issue_comments_are_kept_once_per_kind(fake):
    """Through PyGithub, as GitHub answers: 201 the first time, 200 with the same reaction
    after, 422 for a kind GitHub does not have, 404 for a comment that is not there."""
    cid = fake.add_issue_comment(REPO, NUMBER, "/review", author="maintainer")["id"]
    comment = client(fake).get_repo(REPO).get_pull(NUMBER).get_issue_comment(cid)
    first = comment.create_reaction("eyes")
    again = comment.create_reaction("eyes")
    assert first.id == again.id and fake.issue_comment_reactions(REPO, cid) == ["eyes"]
    with pytest.raises(GithubException) as bad:
        comment.create_reaction("shrug")
    assert bad.value.status == 422
    fake.state.repo(REPO).issue_comments[NUMBER].clear()
    with pytest.raises(GithubException) as gone:
        comment.create_reaction("eyes")
    assert gone.value.status == 404
