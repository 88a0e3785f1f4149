"""The Action answering comments: `python -m bot.action` on issue_comment (/ask) and
pull_request_review_comment (a reply in the bot's thread) events, against the fakes.

The event files are the real payloads of tests/data/webhooks, changed as tests/data/README.md
says: the /ask comment on PR #2 (issue_comment), the reply's id and thread (review comment).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.github.markers import answered_ids
from tests.action.helpers import FILES, REPO, payload, review_comment, run_action
from tests.fakes.github import FakeGitHub
from tests.fakes.github_feedback import set_role
from tests.fakes.github_talk import add_reply
from tests.fakes.openai_server import FakeModel, error, raw
from tests.helpers.findings import bot_finding, post_bot_comment

ANSWER = "The loop stops at `len(xs) - 1`, so the last item is skipped."


@pytest.fixture
def model(fake_model: FakeModel) -> FakeModel:
    fake_model.script(lambda request: raw(ANSWER, prompt_tokens=800, cost_ticks=50_000_000))
    return fake_model


@pytest.fixture
def gh(fake_github: FakeGitHub) -> FakeGitHub:
    pr = payload("pull_request.opened")["pull_request"]
    fake_github.add_pr(REPO, 2, head_sha=pr["head"]["sha"], base_sha=pr["base"]["sha"], files=FILES)
    return fake_github


def ask_event(gh: FakeGitHub, text: str, association: str = "MEMBER") -> dict[str, Any]:
    body = review_comment(association, text)
    body["comment"]["id"] = gh.add_issue_comment(
        REPO, 2, text, author="Codertocat", author_association=association
    )["id"]
    return body


def test_ask_posts_one_answer_with_its_cost(
    tmp_path: Path, gh: FakeGitHub, model: FakeModel
) -> None:
    event = ask_event(gh, "/ask Why skip one?")
    run = run_action(tmp_path, gh, model, "issue_comment", event)
    assert run.code == 0, run.stdout + run.stderr
    assert gh.issue_comment_reactions(REPO, event["comment"]["id"]) == ["eyes"]
    [answer] = [c for c in gh.issue_comments(REPO, 2) if answered_ids(c["body"])]
    assert ANSWER in answer["body"] and "$0.0050" in answer["body"]
    assert run.outputs["cost-usd"] == "0.0050"
    assert "grok-review: posted" in run.stdout and "1 request" in run.summary
    assert gh.calls("POST", r"/pulls/2/reviews$") == []  # an answer, not a review
    # A re-run of the workflow answers nothing twice.
    again = run_action(tmp_path, gh, model, "issue_comment", ask_event(gh, "/ask Why skip one?"))
    assert again.code == 0 and len(model.requests) == 2  # the new comment got its own


def test_ask_from_a_contributor_starts_nothing(
    tmp_path: Path, gh: FakeGitHub, model: FakeModel
) -> None:
    run = run_action(tmp_path, gh, model, "issue_comment", review_comment("CONTRIBUTOR", "/ask x"))
    assert run.code == 0
    [notice] = run.commands("notice")
    assert "the command from Codertocat (CONTRIBUTOR) is ignored" in notice
    assert gh.requests == [] and model.requests == []


def test_a_failed_model_says_so_and_fails_the_step(
    tmp_path: Path, gh: FakeGitHub, model: FakeModel
) -> None:
    model.script(lambda request: error(500))
    run = run_action(tmp_path, gh, model, "issue_comment", ask_event(gh, "/ask Why?"))
    assert run.code == 3
    assert any("the answer failed" in c for c in run.commands("error"))
    [answer] = [c for c in gh.issue_comments(REPO, 2) if answered_ids(c["body"])]
    assert answer["body"].startswith("grok-review could not answer this")
    assert len(model.requests) == 1  # GROK_REVIEW_MODEL_RETRIES=0 in these runs


def reply_event(gh: FakeGitHub, text: str) -> tuple[dict[str, Any], int]:
    """A reply by Codertocat in the thread of the bot's finding, as a review-comment event."""
    root = post_bot_comment(gh, REPO, 2, bot_finding(path="app.py"))
    reply = add_reply(gh, REPO, 2, root, text, author="Codertocat", association="OWNER")
    body = payload("pull_request_review_comment.created")
    body["comment"].update(id=reply["id"], in_reply_to_id=root, body=text)
    return body, root


def test_a_reply_in_the_bots_thread_is_answered_there(
    tmp_path: Path, gh: FakeGitHub, model: FakeModel
) -> None:
    set_role(gh, REPO, "Codertocat", "admin")
    event, root = reply_event(gh, "@grok-review why is this wrong?")
    run = run_action(tmp_path, gh, model, "pull_request_review_comment", event)
    assert run.code == 0, run.stdout + run.stderr
    [answer] = [c for c in gh.review_comments(REPO, 2) if answered_ids(c["body"])]
    assert answer["in_reply_to_id"] == root and ANSWER in answer["body"]


def test_an_acknowledgement_needs_no_model(
    tmp_path: Path, gh: FakeGitHub, model: FakeModel
) -> None:
    set_role(gh, REPO, "Codertocat", "admin")
    event, _ = reply_event(gh, "Not a bug: xs always ends with a sentinel.")
    run = run_action(tmp_path, gh, model, "pull_request_review_comment", event)
    assert run.code == 0 and model.requests == []
    [answer] = [c for c in gh.review_comments(REPO, 2) if answered_ids(c["body"])]
    assert answer["body"].startswith("Thanks, noted")


def test_a_reply_without_a_key_leaves_a_notice(
    tmp_path: Path, gh: FakeGitHub, model: FakeModel
) -> None:
    event, _ = reply_event(gh, "Why?")
    run = run_action(tmp_path, gh, model, "pull_request_review_comment", event, xai_api_key="")
    assert run.code == 0
    [notice] = run.commands("notice")
    assert "the comment was not answered" in notice and "forks" in notice
    assert model.requests == []


def test_post_annotations_never_answers(tmp_path: Path, gh: FakeGitHub, model: FakeModel) -> None:
    run = run_action(
        tmp_path, gh, model, "issue_comment", ask_event(gh, "/ask Why?"), post="annotations"
    )
    assert run.code == 0 and "never writes to the pull request" in run.stdout
    assert model.requests == [] and gh.calls("POST", r"/issues/2/comments$") == []
