"""Replies in the bot's review threads: one answer, only to writers, never in a loop."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.errors import ExitCode
from bot.github.api import GitHubClient
from bot.github.markers import answered_ids
from bot.github.talk import ACKNOWLEDGED
from bot.github.thread import answer_thread_reply
from bot.settings import Settings
from tests.fakes.github import FakeGitHub
from tests.fakes.github_feedback import age_comment, set_role
from tests.fakes.github_talk import add_reply
from tests.fakes.openai_server import FakeModel, error, raw
from tests.github.review.helpers import BASE, HEAD, NUMBER, REPO, V1, make_settings
from tests.helpers.findings import bot_finding, post_bot_comment

APP_PY = "import os\nfor i in range(len(xs) - 1):\n    print(xs[i])\nprint('done')\n"


@pytest.fixture
def fake(fake_github: FakeGitHub) -> FakeGitHub:
    fake_github.add_pr(REPO, NUMBER, base_sha=BASE, head_sha=HEAD, files=V1, title="Loop fix")
    fake_github.add_file_content(REPO, HEAD, "src/app.py", APP_PY)
    for login, role in (("alice", "write"), ("visitor", "read")):
        set_role(fake_github, REPO, login, role)
    return fake_github


@pytest.fixture
def model(fake_model: FakeModel) -> FakeModel:
    fake_model.script(lambda request: raw("It skips `xs[-1]`. cc @octocat", prompt_tokens=500))
    return fake_model


def finding_comment(fake: FakeGitHub, *, author: str | None = None) -> int:
    """The bot's inline comment (or, with `author`, a person's) on src/app.py line 2."""
    return post_bot_comment(fake, REPO, NUMBER, bot_finding(), author=author)


def run(fake: FakeGitHub, settings: Settings, comment_id: int, **kw: Any) -> Any:
    client = GitHubClient.from_token(settings)
    return answer_thread_reply(
        settings, client, repo=REPO, number=NUMBER, comment_id=comment_id, **kw
    )


def answers(fake: FakeGitHub) -> list[dict[str, Any]]:
    return [c for c in fake.review_comments(REPO, NUMBER) if answered_ids(c["body"])]


def test_a_writers_question_is_answered_once_in_the_thread(
    fake: FakeGitHub, model: FakeModel
) -> None:
    root = finding_comment(fake)
    reply = add_reply(fake, REPO, NUMBER, root, "Why is this a bug? xs is never empty.")
    settings = make_settings(fake, model)
    outcome = run(fake, settings, reply["id"])
    assert outcome.posted and outcome.exit_code == ExitCode.REVIEWED
    (answer,) = answers(fake)
    assert answer["in_reply_to_id"] == root and answered_ids(answer["body"]) == (reply["id"],)
    assert answer["body"].startswith("It skips `xs[-1]`. cc `@octocat`")  # defused
    assert "_1 request · 500 prompt" in answer["body"]
    assert "grok-review:fp=" not in answer["body"]  # an answer is never taken for a finding
    # The model knew the finding, the code around it and the reply.
    (request,) = model.requests
    text = request["json"]["messages"][-1]["content"]
    assert "The loop skips the last element." in text and "grok-review:fp" not in text
    assert "@@ -1,2 +1,4 @@\n import os\n+for i in range(len(xs) - 1):" in text
    assert "2 | for i in range(len(xs) - 1):" in text  # the file at the finding's commit
    assert "<untrusted_reply>\nWhy is this a bug? xs is never empty.\n</untrusted_reply>" in text
    # Twice the same delivery, or a rerun: no second answer, no second request.
    again = run(fake, settings, reply["id"])
    assert not again.posted and again.skipped_reason == "already answered"
    assert len(answers(fake)) == 1 and len(model.requests) == 1


def test_the_bot_never_answers_itself(fake: FakeGitHub, model: FakeModel) -> None:
    root = finding_comment(fake)
    reply = add_reply(fake, REPO, NUMBER, root, "Why?")
    settings = make_settings(fake, model)
    run(fake, settings, reply["id"])
    (answer,) = answers(fake)
    outcome = run(fake, settings, answer["id"])  # its own answer, delivered back
    assert not outcome.posted and "bot" in (outcome.skipped_reason or "")
    assert len(answers(fake)) == 1 and len(model.requests) == 1


def test_saying_the_finding_is_wrong_gets_an_acknowledgement_not_an_argument(
    fake: FakeGitHub, model: FakeModel
) -> None:
    root = finding_comment(fake)
    reply = add_reply(fake, REPO, NUMBER, root, "False positive: the caller pads xs.")
    outcome = run(fake, make_settings(fake, model), reply["id"])
    assert outcome.posted and model.requests == []
    (answer,) = answers(fake)
    assert answer["body"].startswith(ACKNOWLEDGED) and "👎" in answer["body"]


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        ({"body": "Thanks, fixed."}, "asks nothing"),
        ({"author": "visitor"}, "visitor (read access): only writers"),
        ({"author": "stranger"}, "stranger (none access): only writers"),
        ({"author": "ci[bot]", "author_type": "Bot"}, "comment by a bot"),
        ({"association": "CONTRIBUTOR"}, "not a writer"),
        ({"root_author": "bob"}, "not a reply to one of grok-review's findings"),
    ],
)
def test_replies_that_get_no_answer(
    fake: FakeGitHub, model: FakeModel, setup: dict[str, Any], reason: str
) -> None:
    root = finding_comment(fake, author=setup.pop("root_author", None))
    body = setup.pop("body", "Why?")
    reply = add_reply(fake, REPO, NUMBER, root, body, **setup)
    outcome = run(fake, make_settings(fake, model), reply["id"])
    assert not outcome.posted and reason in (outcome.skipped_reason or "")
    assert answers(fake) == [] and model.requests == []


def test_a_thread_gets_at_most_n_answers_a_day(fake: FakeGitHub, model: FakeModel) -> None:
    settings = make_settings(fake, model, thread_replies_per_day=2)
    root = finding_comment(fake)
    for n in range(2):
        asked = add_reply(fake, REPO, NUMBER, root, f"Why {n}?")
        assert run(fake, settings, asked["id"]).posted
    third = add_reply(fake, REPO, NUMBER, root, "And why again?")
    outcome = run(fake, settings, third["id"])
    assert not outcome.posted and "2 answers of grok-review from the last 24 hours" in (
        outcome.skipped_reason or ""
    )
    assert len(model.requests) == 2
    # A day later the thread may be answered again.
    for answer in answers(fake):
        age_comment(fake, REPO, answer["id"], days=1.1)
    assert run(fake, settings, third["id"]).posted


def test_the_window_is_the_last_24_hours(fake: FakeGitHub, model: FakeModel) -> None:
    settings = make_settings(fake, model, thread_replies_per_day=1)
    root = finding_comment(fake)
    first = add_reply(fake, REPO, NUMBER, root, "Why?")
    assert run(fake, settings, first["id"]).posted
    second = add_reply(fake, REPO, NUMBER, root, "Why not?")
    later = datetime.now(UTC) + timedelta(hours=25)
    assert run(fake, settings, second["id"], now=later).posted
    assert not run(fake, settings, second["id"], now=later).posted  # answered already


def test_zero_turns_thread_answers_off(fake: FakeGitHub, model: FakeModel) -> None:
    root = finding_comment(fake)
    reply = add_reply(fake, REPO, NUMBER, root, "Why?")
    outcome = run(fake, make_settings(fake, model, thread_replies_per_day=0), reply["id"])
    assert not outcome.posted and model.requests == []


def test_a_model_failure_is_said_in_the_thread(fake: FakeGitHub, model: FakeModel) -> None:
    model.script(lambda request: error(503))
    root = finding_comment(fake)
    reply = add_reply(fake, REPO, NUMBER, root, "Why?")
    outcome = run(fake, make_settings(fake, model, model_retries=1), reply["id"])
    assert outcome.exit_code == ExitCode.INCOMPLETE and len(model.requests) == 2
    (answer,) = answers(fake)
    assert answer["body"].startswith("grok-review could not answer this")


def test_a_stopped_run_posts_nothing(fake: FakeGitHub, model: FakeModel) -> None:
    root = finding_comment(fake)
    reply = add_reply(fake, REPO, NUMBER, root, "Why?")
    outcome = run(fake, make_settings(fake, model), reply["id"], stop=lambda: True)
    assert outcome.skipped_reason == "superseded" and answers(fake) == []
