"""`/ask QUESTION`: one answering comment, against the fake GitHub and the fake model."""

from __future__ import annotations

from typing import Any

import pytest

from bot.errors import ExitCode
from bot.github.api import GitHubClient
from bot.github.ask import answer_question
from bot.github.markers import answered_ids
from bot.github.talk import HELP, render_answer, render_failure
from bot.models import TextReply, Usage
from bot.settings import Settings
from tests.fakes.github import FakeGitHub
from tests.fakes.openai_server import FakeModel, calls, error, messages_of, raw, tool_call
from tests.github.review.helpers import BASE, HEAD, NUMBER, REPO, V1, make_settings
from tests.output.test_defused_markdown import CORPUS, assert_defused

QUESTION = "Why does the loop in src/app.py stop early?"
ANSWER = (
    "It stops at `len(xs) - 1`. Ping @octocat <img src=x> <!-- grok-review:fp=abc -->\n\n"
    "```python\nfor x in xs:\n```"
)


@pytest.fixture
def fake(fake_github: FakeGitHub) -> FakeGitHub:
    fake_github.add_pr(REPO, NUMBER, base_sha=BASE, head_sha=HEAD, files=V1, title="Loop fix")
    return fake_github


@pytest.fixture
def model(fake_model: FakeModel) -> FakeModel:
    fake_model.script(lambda request: raw(ANSWER, prompt_tokens=900, completion_tokens=40))
    return fake_model


def ask(fake: FakeGitHub, settings: Settings, body: str, **comment: Any) -> Any:
    posted = fake.add_issue_comment(
        REPO, NUMBER, body, **{"author_association": "MEMBER", **comment}
    )
    client = GitHubClient.from_token(settings)
    outcome = answer_question(settings, client, repo=REPO, number=NUMBER, comment_id=posted["id"])
    return posted, outcome


def answers(fake: FakeGitHub) -> list[dict[str, Any]]:
    return [c for c in fake.issue_comments(REPO, NUMBER) if answered_ids(c["body"])]


def test_a_question_gets_one_answer_with_its_cost_and_a_marker(
    fake: FakeGitHub, model: FakeModel
) -> None:
    asked, outcome = ask(fake, make_settings(fake, model), f"/ask {QUESTION}")
    assert outcome.posted and outcome.exit_code == ExitCode.REVIEWED
    (answer,) = answers(fake)
    body = answer["body"]
    assert answered_ids(body) == (asked["id"],)
    assert body.startswith(f"> **`bob`** asked: {QUESTION}")
    assert "It stops at `len(xs) - 1`." in body
    # Model text is defused like a finding's body: no mention, no HTML, no forged marker.
    assert_defused(body, comments=[f"grok-review:answer={asked['id']}"])
    assert "_1 request · 900 prompt" in body and "40 completion tokens" in body
    (request,) = model.requests
    messages = request["json"]["messages"]
    assert "response_format" not in request["json"]
    assert messages[0]["content"].startswith("You are grok-review")
    assert "<untrusted_pr_title>\nLoop fix\n</untrusted_pr_title>" in messages[1]["content"]
    assert "### File: src/app.py" in messages[2]["content"]
    assert f"<untrusted_question>\n{QUESTION}\n</untrusted_question>" in messages[3]["content"]


def test_a_comment_is_answered_once(fake: FakeGitHub, model: FakeModel) -> None:
    settings = make_settings(fake, model)
    asked, first = ask(fake, settings, f"/ask {QUESTION}")
    again = answer_question(
        settings,
        GitHubClient.from_token(settings),
        repo=REPO,
        number=NUMBER,
        comment_id=asked["id"],
    )
    assert first.posted and not again.posted and again.skipped_reason == "already answered"
    assert len(answers(fake)) == 1 and len(model.requests) == 1


def test_an_empty_question_gets_help_and_costs_nothing(fake: FakeGitHub, model: FakeModel) -> None:
    _, outcome = ask(fake, make_settings(fake, model), "/ask   ")
    assert outcome.posted
    (answer,) = answers(fake)
    assert answer["body"].startswith(HELP)
    assert model.requests == [] and "---" not in answer["body"]  # no cost line: no request


def test_a_model_failure_is_said_in_a_short_comment_without_a_retry_storm(
    fake: FakeGitHub, model: FakeModel
) -> None:
    model.script(lambda request: error(500))
    settings = make_settings(fake, model, model_retries=2)
    _, outcome = ask(fake, settings, f"/ask {QUESTION}")
    assert outcome.exit_code == ExitCode.INCOMPLETE and outcome.error is not None
    assert len(model.requests) == 3  # the usual attempts, then it stops
    (answer,) = answers(fake)
    assert answer["body"].startswith("grok-review could not answer this: the answer failed")
    assert "3 requests (3 failed)" in answer["body"]


def test_a_request_the_model_refuses_is_not_retried(fake: FakeGitHub, model: FakeModel) -> None:
    model.script(lambda request: error(400, {"code": "bad", "error": "invalid argument"}))
    _, outcome = ask(fake, make_settings(fake, model), f"/ask {QUESTION}")
    assert outcome.error is not None and len(model.requests) == 1
    assert "could not answer" in answers(fake)[0]["body"]


@pytest.mark.parametrize(
    ("comment", "reason"),
    [
        ({"author_association": "CONTRIBUTOR"}, "not a writer"),
        ({"author": "ci[bot]", "author_type": "Bot"}, "comment by a bot"),
    ],
)
def test_only_writers_questions_are_answered(
    fake: FakeGitHub, model: FakeModel, comment: dict[str, Any], reason: str
) -> None:
    _, outcome = ask(fake, make_settings(fake, model), f"/ask {QUESTION}", **comment)
    assert not outcome.posted and reason in (outcome.skipped_reason or "")
    assert answers(fake) == [] and model.requests == []


def test_the_comment_is_read_again_an_edited_or_deleted_ask_gets_no_answer(
    fake: FakeGitHub, model: FakeModel
) -> None:
    settings = make_settings(fake, model)
    client = GitHubClient.from_token(settings)
    edited = fake.add_issue_comment(REPO, NUMBER, f"/ask {QUESTION}", author_association="MEMBER")
    fake.state.edit_issue_comment(REPO, edited["id"], "Never mind, found it.")
    gone = fake.add_issue_comment(REPO, NUMBER, f"/ask {QUESTION}", author_association="MEMBER")
    fake.state.repo(REPO).issue_comments[NUMBER].remove(fake.state.issue_comment(REPO, gone["id"]))
    reasons = [
        answer_question(settings, client, repo=REPO, number=NUMBER, comment_id=c["id"])
        for c in (edited, gone)
    ]
    assert [r.skipped_reason for r in reasons] == [
        "the comment is no longer an /ask",
        "the comment is gone",
    ]
    assert answers(fake) == [] and model.requests == []


def test_the_bots_own_comment_is_never_answered(fake: FakeGitHub, model: FakeModel) -> None:
    settings = make_settings(fake, model)
    ask(fake, settings, f"/ask {QUESTION}")
    (answer,) = answers(fake)
    again = answer_question(
        settings,
        GitHubClient.from_token(settings),
        repo=REPO,
        number=NUMBER,
        comment_id=answer["id"],
    )
    assert again.skipped_reason is not None and not again.posted
    assert len(answers(fake)) == 1 and len(model.requests) == 1


def test_a_large_pr_is_answered_from_what_fits_and_says_so(
    fake_github: FakeGitHub, model: FakeModel
) -> None:
    body = "".join(f"+    value_{j} = compute({j})\n" for j in range(400))
    files = [
        {"filename": f"pkg{i}/mod.py", "status": "added", "patch": f"@@ -0,0 +1,400 @@\n{body}"}
        for i in range(4)
    ]
    fake_github.add_pr(REPO, NUMBER, base_sha=BASE, head_sha=HEAD, files=files)
    settings = make_settings(fake_github, model, context_tokens=12_000, max_output_tokens=1_000)
    _, outcome = ask(fake_github, settings, "/ask What does pkg2/mod.py compute?")
    assert outcome.posted
    (request,) = model.requests
    sent = request["json"]["messages"][2]["content"]
    assert "### File: pkg2/mod.py" in sent  # the part holding the file the question names
    assert "### File: pkg0/mod.py" not in sent or "### File: pkg3/mod.py" not in sent
    assert "too large for one request" in request["json"]["messages"][3]["content"]
    (answer,) = answers(fake_github)
    assert "_Note: this pull request is too large for one request" in answer["body"]
    assert "of its 4 changed files" in answer["body"]


def test_the_repository_around_the_diff_is_in_the_request(
    fake_github: FakeGitHub, model: FakeModel
) -> None:
    patch = "@@ -1,3 +1,4 @@\n from lib import helper\n def run():\n+    total = helper(3)\n"
    patch += "     return 0"
    files = [{"filename": "src/app.py", "status": "modified", "patch": patch}]
    fake_github.add_pr(REPO, NUMBER, base_sha=BASE, head_sha=HEAD, files=files)
    app = "from lib import helper\ndef run():\n    total = helper(3)\n    return 0\n"
    lib = "def helper(n):\n    return n * 2\n"
    fake_github.add_commit_files(REPO, HEAD, {"src/app.py": app, "src/lib.py": lib})
    ask(fake_github, make_settings(fake_github, model), "/ask What does helper return here?")
    (request,) = model.requests
    sent = request["json"]["messages"][2]["content"]
    assert "<untrusted_context>" in sent and "definition of helper" in sent
    assert "return n * 2" in sent


def test_a_hostile_question_is_quoted_inert(fake: FakeGitHub, model: FakeModel) -> None:
    # A question that opens a fence on its line would swallow the answer and the marker.
    _, outcome = ask(fake, make_settings(fake, model), "/ask ~~~ @octocat <img src=x> why?")
    assert outcome.posted
    (answer,) = answers(fake)
    assert answer["body"].splitlines()[1] == ""  # no fence line after the quote
    assert_defused(
        answer["body"], comments=[f"grok-review:answer={answered_ids(answer['body'])[0]}"]
    )


def test_the_model_may_read_the_repository_before_answering(
    fake_github: FakeGitHub, model: FakeModel
) -> None:
    patch = "@@ -1,2 +1,3 @@\n def run():\n+    total = 1\n     return 0"
    files = [{"filename": "src/app.py", "status": "modified", "patch": patch}]
    fake_github.add_pr(REPO, NUMBER, base_sha=BASE, head_sha=HEAD, files=files)
    app = "def run():\n    total = 1\n    return 0\n"
    fake_github.add_commit_files(REPO, HEAD, {"src/app.py": app, "src/util.py": "LIMIT = 3\n"})

    def reads_then_answers(request: dict[str, Any]) -> Any:
        if request["json"].get("tool_choice") == "auto" and not any(
            m["role"] == "tool" for m in messages_of(request)
        ):
            return calls(tool_call("read_file", {"path": "src/util.py"}))
        return raw("LIMIT is 3, see `src/util.py`.")

    model.script(reads_then_answers)
    _, outcome = ask(fake_github, make_settings(fake_github, model), "/ask What is LIMIT?")
    assert outcome.posted
    first, second = model.requests
    assert first["json"]["tool_choice"] == "auto" and "response_format" not in first["json"]
    assert "Repository tools: you may call" in messages_of(first)[0]["content"]
    (result,) = [m for m in messages_of(second) if m["role"] == "tool"]
    assert "LIMIT = 3" in result["content"]
    (answer,) = answers(fake_github)
    assert "LIMIT is 3" in answer["body"] and "1 tool call in 1 round" in answer["body"]


def test_no_tools_are_offered_when_the_config_turns_them_off(
    fake: FakeGitHub, model: FakeModel
) -> None:
    fake.add_commit_files(REPO, HEAD, {"src/app.py": "x = 1\n"})
    fake.add_file_content(REPO, BASE, ".github/grok-review.yml", "tools: {enabled: false}\n")
    ask(fake, make_settings(fake, model), f"/ask {QUESTION}")
    (request,) = model.requests
    assert "tools" not in request["json"] and "Repository tools" not in str(request["json"])


def test_no_snapshot_is_fetched_when_neither_context_nor_tools_would_read_it(
    fake: FakeGitHub, model: FakeModel
) -> None:
    fake.add_commit_files(REPO, HEAD, {"src/app.py": "x = 1\n"})
    config = "context: {enabled: false}\ntools: {enabled: false}\n"
    fake.add_file_content(REPO, BASE, ".github/grok-review.yml", config)
    _, outcome = ask(fake, make_settings(fake, model), f"/ask {QUESTION}")
    assert outcome.posted and len(model.requests) == 1
    assert not fake.calls("GET", "/git/trees/") and not fake.calls("GET", "/tarball/")


def test_a_rejected_key_is_said_and_ends_with_exit_code_2(fake: FakeGitHub) -> None:
    with FakeModel(api_key="the-right-key") as model:
        _, outcome = ask(fake, make_settings(fake, model), f"/ask {QUESTION}")
        assert len(model.requests) == 1  # a 401 is never retried
    assert outcome.exit_code == ExitCode.BAD_INPUT and "rejected the key" in outcome.error
    (answer,) = answers(fake)
    assert answer["body"].startswith("grok-review could not answer this: the model server at")


@pytest.mark.parametrize("text", CORPUS)
def test_answers_and_failures_are_defused(text: str) -> None:
    reply = TextReply(text, Usage(requests=1, cost_usd=0.01))
    answer = render_answer(reply, comment_id=7, model="m", question=text, asker="bob", note=text)
    assert_defused(answer, comments=["grok-review:answer=7"])
    failure = render_failure(reply, text, comment_id=8, model="m")
    assert_defused(failure, comments=["grok-review:answer=8"])
