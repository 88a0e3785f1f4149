"""The App answering comments: a signed webhook, a job, one comment (both job stores).

Payloads: `pull_request_review_comment.created.json` is a top-level review comment; the replies
are built from a copy (`in_reply_to_id`, `id`, `body` set to the fake's thread), and `/ask`
comments from `issue_comment.created.json` like `/review` ones (tests/data/README.md).
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.app.events import Enqueue, Ignore, decide
from bot.app.jobs import ReviewJob
from bot.app.store.sqlite import SqliteStore
from bot.github.markers import answered_ids
from bot.settings import Settings
from tests.app.conftest import SettingsFactory
from tests.app.helpers import (
    app_with_reviewer,
    deliver,
    finished,
    opened_queue,
    payload,
    pr_comment,
    wait_for,
)
from tests.fakes.github import FakeGitHub
from tests.fakes.github_feedback import set_role
from tests.fakes.github_talk import add_reply
from tests.fakes.openai_server import FakeModel, raw
from tests.helpers.findings import bot_finding, post_bot_comment
from tests.helpers.settings import review_values

REPO, NUMBER = "Codertocat/Hello-World", 2  # the recorded payloads' repository and PR
PATCH = "@@ -1,2 +1,3 @@\n import os\n+for i in range(len(xs) - 1):\n print('done')"


@pytest.fixture
def model(fake_model: FakeModel) -> FakeModel:
    fake_model.script(lambda request: raw("Because the range stops one short."))
    return fake_model


def settings_for(make: SettingsFactory, fake: FakeGitHub, model: FakeModel) -> Settings:
    return make(**review_values(fake, model), feedback_refresh_s=3600)


def pr(fake: FakeGitHub) -> None:
    files = [{"filename": "src/app.py", "status": "modified", "patch": PATCH}]
    fake.add_pr(REPO, NUMBER, head_sha="c" * 40, files=files)


def ask_payload(fake: FakeGitHub, text: str, **kw: Any) -> dict[str, Any]:
    """A recorded issue_comment made an /ask on the PR, its id the fake's stored comment."""
    stored = fake.add_issue_comment(REPO, NUMBER, text, author_association="MEMBER")
    data = pr_comment(text, **kw)
    data["issue"]["number"] = NUMBER
    data["comment"]["id"] = stored["id"]
    return data


def reply_payload(reply: dict[str, Any]) -> dict[str, Any]:
    """The recorded review comment made the reply `reply` (as the fake stored it)."""
    data = payload("pull_request_review_comment.created")
    data["comment"].update(
        id=reply["id"], in_reply_to_id=reply["in_reply_to_id"], body=reply["body"]
    )
    data["pull_request"]["number"] = NUMBER
    return data


def answers(fake: FakeGitHub) -> list[str]:
    bodies = [c["body"] for c in fake.issue_comments(REPO, NUMBER)]
    bodies += [c["body"] for c in fake.review_comments(REPO, NUMBER)]
    return [b for b in bodies if answered_ids(b)]


def test_an_ask_is_answered_once_in_the_conversation(
    make: SettingsFactory, fake_github: FakeGitHub, model: FakeModel
) -> None:
    pr(fake_github)
    data = ask_payload(fake_github, "/ask Why does the loop stop early?")
    with app_with_reviewer(settings_for(make, fake_github, model)) as (client, queue):
        answer = deliver(client, "issue_comment", data, delivery="ask-1")
        assert (answer.status_code, answer.json()["outcome"]) == (202, "queued")
        record = wait_for(lambda: finished(queue, "ask-1"), what="the answer")
        # A redelivery of the same delivery queues nothing.
        again = deliver(client, "issue_comment", data, delivery="ask-1")
        assert again.json()["outcome"] == "replayed"
        # Another delivery of the same comment (a second hook, a replay) asks nothing new.
        other = deliver(client, "issue_comment", data, delivery="ask-2")
        assert other.json()["outcome"] == "replayed"
    assert (record.state, record.status, record.detail) == ("done", "posted", "answered")
    (body,) = answers(fake_github)
    assert "Because the range stops one short." in body and "_1 request" in body
    assert len(model.requests) == 1


def test_a_writers_reply_in_the_bots_thread_is_answered_there(
    make: SettingsFactory, fake_github: FakeGitHub, model: FakeModel
) -> None:
    pr(fake_github)
    root = post_bot_comment(fake_github, REPO, NUMBER, bot_finding())
    set_role(fake_github, REPO, "Codertocat", "admin")
    reply = add_reply(fake_github, REPO, NUMBER, root, "Why is this a bug?", author="Codertocat")
    with app_with_reviewer(settings_for(make, fake_github, model)) as (client, queue):
        answer = deliver(
            client, "pull_request_review_comment", reply_payload(reply), delivery="r-1"
        )
        assert answer.json()["outcome"] == "queued"
        record = wait_for(lambda: finished(queue, "r-1"), what="the answer")
        # The bot's own answer comes back as a webhook too: it is never answered.
        ours = next(c for c in fake_github.review_comments(REPO, NUMBER) if answered_ids(c["body"]))
        echo = reply_payload(ours)
        echo["comment"]["user"] = {"login": "grok-review[bot]", "type": "Bot"}
        assert deliver(client, "pull_request_review_comment", echo).json()["outcome"] == "ignored"
    assert (record.status, record.detail) == ("posted", "answered")
    (posted,) = [c for c in fake_github.review_comments(REPO, NUMBER) if answered_ids(c["body"])]
    assert posted["in_reply_to_id"] == root and "Because the range" in posted["body"]
    assert fake_github.calls("POST", rf"/pulls/{NUMBER}/comments/{root}/replies$")


def test_replies_that_ask_nothing_start_no_job() -> None:
    data = payload("pull_request_review_comment.created")
    data["comment"].update(in_reply_to_id=7, body="Thanks, fixed.")
    assert decide("pull_request_review_comment", data, delivery_id="d") == Ignore(
        "the reply asks nothing of grok-review"
    )
    top = payload("pull_request_review_comment.created")  # as recorded: starts a thread
    assert isinstance(decide("pull_request_review_comment", top, delivery_id="d"), Ignore)
    data["comment"]["body"] = "Why?"
    decision = decide("pull_request_review_comment", data, delivery_id="d")
    assert isinstance(decision, Enqueue)
    assert (decision.job.trigger, decision.job.comment_id, decision.job.number) == (
        "reply",
        data["comment"]["id"],
        2,
    )
    asked = pr_comment("/ask why?")
    ask = decide("issue_comment", asked, delivery_id="d")
    assert isinstance(ask, Enqueue) and ask.job.trigger == "ask"
    assert ask.job.comment_id == asked["comment"]["id"]
    assert ask.replay_key == f"comment:{asked['comment']['id']}"
    assert decision.replay_key == f"review-comment:{data['comment']['id']}"


def test_the_job_store_keeps_the_comment_id(make: SettingsFactory) -> None:
    settings = make()
    job = ReviewJob("d-ask", 3, "o/r", 4, None, "ask", requested_by="alice", comment_id=99)
    with opened_queue(settings) as queue:
        assert queue.store.accept(job).outcome == "queued"
        record = queue.store.get("d-ask")
    assert record is not None and record.job == job


def test_a_store_made_before_answers_gets_the_column(tmp_path: Path) -> None:
    path = tmp_path / "queue.sqlite3"
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute(
            "CREATE TABLE gr_job (id TEXT PRIMARY KEY, installation_id INTEGER, repo TEXT NOT NULL,"
            " number INTEGER NOT NULL, head_sha TEXT, trigger TEXT NOT NULL, requested_by TEXT,"
            " state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, owner TEXT,"
            " touched REAL NOT NULL, created REAL NOT NULL,"
            " status TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '')"
        )
        conn.execute(
            "INSERT INTO gr_job VALUES ('old', 1, 'o/r', 1, 'a', 'auto', NULL, 'done', 1, NULL,"
            " 1.0, 1.0, 'posted', '')"
        )
        conn.commit()
    store = SqliteStore(path)
    try:
        old = store.get("old")
        assert old is not None and old.job.comment_id is None and old.status == "posted"
        job = ReviewJob("new", 1, "o/r", 1, None, "reply", comment_id=5)
        store.accept(job)
        assert store.get("new") is not None and store.get("new").job == job  # type: ignore[union-attr]
    finally:
        store.close()
    SqliteStore(path).close()  # opening it again changes nothing
