"""Which events the Action reviews, and which it leaves alone with a notice or an error line."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.action import decide as action_decide
from bot.action import main as action
from bot.github.markers import head_marker
from tests.action.helpers import (
    FILES,
    REPO,
    payload,
    posted_reviews,
    review_comment,
    run_action,
)
from tests.fakes.github import FakeGitHub
from tests.fakes.openai_server import FakeModel


def test_synchronize_reviews_only_the_new_commits(
    tmp_path: Path, gh: FakeGitHub, model: FakeModel
) -> None:
    body = payload("pull_request.synchronize")
    before, after = body["before"], body["after"]
    gh.add_pr(REPO, 2, head_sha=before, files=FILES)  # the PR as the last review saw it
    gh.add_review(REPO, 2, body=f"earlier review\n{head_marker(before)}", commit_id=before)
    # The push adds a comment line above the loop; the compare shows only that.
    whole = (
        "@@ -1,2 +1,4 @@\n def last(xs):\n+    # walk\n+    for i in range(len(xs) - 1):\n"
        "     return xs\n"
    )
    gh.set_pr_head(REPO, 2, after, [{"filename": "app.py", "status": "modified", "patch": whole}])
    new_patch = (
        "@@ -1,3 +1,4 @@\n def last(xs):\n+    # walk\n     for i in range(len(xs) - 1):\n"
        "     return xs\n"
    )
    only_new = [{"filename": "app.py", "status": "modified", "patch": new_patch}]
    gh.add_compare(REPO, before, after, files=only_new)
    run = run_action(tmp_path, gh, model, "pull_request", body)
    assert run.code == 0, run.stdout + run.stderr
    assert gh.calls("GET", rf"/compare/{before}\.\.\.{after}$")
    [request] = model.requests
    assert "# walk" in request["json"]["messages"][-1]["content"]
    [review] = posted_reviews(gh)
    assert review["commit_id"] == after
    assert f"{before[:7]}..{after[:7]}" in review["body"]


@pytest.mark.parametrize("name", ["pull_request.reopened", "pull_request.ready_for_review"])
def test_reopened_and_ready_for_review_are_reviewed(
    tmp_path: Path, gh: FakeGitHub, model: FakeModel, name: str
) -> None:
    run = run_action(tmp_path, gh, model, "pull_request", payload(name))
    assert run.code == 0, run.stdout + run.stderr
    assert len(posted_reviews(gh)) == 1 and len(model.requests) == 1


def test_labeled_action_is_ignored_with_a_notice(
    tmp_path: Path, gh: FakeGitHub, model: FakeModel
) -> None:
    run = run_action(tmp_path, gh, model, "pull_request", payload("pull_request.labeled"))
    assert run.code == 0
    assert run.commands("notice") == [
        "::notice::grok-review: pull_request 'labeled' needs no review"
    ]
    assert gh.requests == [] and model.requests == []
    assert run.outputs["findings"] == "0" and run.outputs["review-url"] == ""


def test_unsupported_event_is_a_notice_and_exit_0(
    tmp_path: Path, gh: FakeGitHub, model: FakeModel
) -> None:
    run = run_action(tmp_path, gh, model, "ping", payload("ping"))
    assert run.code == 0
    [notice] = run.commands("notice")
    assert "event 'ping' is not handled" in notice
    assert gh.requests == [] and model.requests == []


def test_a_newer_head_than_the_payload_is_left_to_its_own_run(
    tmp_path: Path, gh: FakeGitHub, model: FakeModel
) -> None:
    gh.set_pr_head(REPO, 2, "a" * 40, FILES)  # pushed again after this event fired
    run = run_action(tmp_path, gh, model, "pull_request", payload("pull_request.opened"))
    assert run.code == 0
    assert "not reviewed: superseded" in run.stdout
    assert model.requests == [] and posted_reviews(gh) == []


def test_review_command_from_a_member_reviews_the_current_head(
    tmp_path: Path, gh: FakeGitHub, model: FakeModel
) -> None:
    body = review_comment("MEMBER")
    comment = gh.add_issue_comment(REPO, 2, "/review", author="Codertocat")
    body["comment"]["id"] = comment["id"]
    run = run_action(tmp_path, gh, model, "issue_comment", body)
    assert run.code == 0, run.stdout + run.stderr
    [review] = posted_reviews(gh)
    assert review["commit_id"] == payload("pull_request.opened")["pull_request"]["head"]["sha"]
    assert run.outputs["review-url"]
    assert gh.issue_comment_reactions(REPO, comment["id"]) == ["eyes"]  # seen, on the comment


def test_review_command_from_a_contributor_is_ignored(
    tmp_path: Path, gh: FakeGitHub, model: FakeModel
) -> None:
    run = run_action(tmp_path, gh, model, "issue_comment", review_comment("CONTRIBUTOR"))
    assert run.code == 0
    [notice] = run.commands("notice")
    assert "(CONTRIBUTOR) is ignored" in notice
    assert gh.requests == [] and model.requests == []


@pytest.mark.parametrize(
    ("payload_text", "error"),
    [
        (None, "not in GitHub Actions: GITHUB_EVENT_NAME and GITHUB_EVENT_PATH unset"),
        ("{not json", "cannot read the event payload"),
        ("[]", "is not a JSON object"),
    ],
)
def test_unreadable_event_is_one_error_line_and_exit_2(
    tmp_path: Path, payload_text: str | None, error: str
) -> None:
    env: dict[str, str] = {}
    if payload_text is not None:
        event_file = tmp_path / "event.json"
        event_file.write_text(payload_text)
        env = {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(event_file)}
    out = io.StringIO()
    assert action.main(env, out) == 2
    [line] = out.getvalue().splitlines()
    assert line.startswith("::error::grok-review: ") and error in line


def test_comment_by_a_bot_is_ignored() -> None:
    body = review_comment("OWNER")
    body["comment"]["user"]["type"] = "Bot"
    assert isinstance(action_decide.decide("issue_comment", body), action_decide.Ignored)


def test_comment_on_a_plain_issue_is_ignored() -> None:
    # The real payload as it is: a comment on issue #1, which is not a pull request.
    body = payload("issue_comment.created")
    body["comment"]["body"] = "/review"
    decision = action_decide.decide("issue_comment", body)
    assert (
        isinstance(decision, action_decide.Ignored) and "not on a pull request" in decision.reason
    )
