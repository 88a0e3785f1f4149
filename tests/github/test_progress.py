"""The check run of a posting run: in_progress while the model works, then how the run ended."""

from __future__ import annotations

from typing import Any

import pytest

from bot.github import publish as github_publish
from bot.github.api import GitHubClient
from bot.github.render import read_comment_body, render_comment_body
from bot.github.review import review_pull_request
from bot.models import Finding
from bot.settings import Settings
from tests.fakes.github import FakeGitHub
from tests.fakes.openai_server import FakeModel, finding
from tests.helpers.settings import settings_for

REPO, NUMBER = "octo/widgets", 7
HEAD = "b" * 40
PATCH = "@@ -1,2 +1,3 @@\n import os\n+for i in range(len(xs) - 1):\n print('done')"
OFF_BY_ONE = finding(path="src/app.py", line=2)


@pytest.fixture
def fake(fake_github: FakeGitHub) -> FakeGitHub:
    files = [{"filename": "src/app.py", "status": "modified", "patch": PATCH}]
    fake_github.add_pr(REPO, NUMBER, head_sha=HEAD, files=files)
    return fake_github


def one_retry(fake: FakeGitHub, model: FakeModel, **kw: Any) -> Settings:
    """Settings for both fakes, retrying a failed GitHub call once."""
    return settings_for(fake, model, github_retries=1, **kw)


def run(settings: Settings, **kw: Any) -> Any:
    client = GitHubClient.from_token(settings)
    args: dict[str, Any] = {"trigger": "command", "post": True, **kw}
    return review_pull_request(settings, client, repo=REPO, number=NUMBER, **args)


def states_seen_by_the_model(fake: FakeGitHub, model: FakeModel) -> list[list[str]]:
    """The model replies OFF_BY_ONE and records the check runs' statuses at that moment."""
    seen: list[list[str]] = []

    def reply(request: dict[str, Any]) -> list[dict[str, Any]]:
        seen.append([r["status"] for r in fake.check_runs(REPO)])
        return [OFF_BY_ONE]

    model.script(reply)
    return seen


def test_the_check_run_is_in_progress_while_the_model_works_then_completes(fake, model):
    seen = states_seen_by_the_model(fake, model)
    outcome = run(one_retry(fake, model))
    assert outcome.posted and seen == [["in_progress"]]
    (check,) = fake.check_runs(REPO)
    assert (check["status"], check["conclusion"], check["head_sha"]) == (
        "completed",
        "success",
        HEAD,
    )
    assert check["external_id"] == str(NUMBER)  # a Re-run of it names the pull request
    assert len(check["annotations"]) == 1
    (start,) = fake.calls("POST", r"/check-runs$")
    (end,) = fake.calls("PATCH", r"/check-runs/\d+$")
    assert start.json["status"] == "in_progress" and "conclusion" not in start.json
    assert (end.json["status"], end.json["conclusion"]) == ("completed", "success")


def test_a_stopped_run_cancels_its_check_run(fake, model):
    seen = states_seen_by_the_model(fake, model)
    asked = [0]

    def cancelled() -> bool:  # asked before the model (no), then after it (yes)
        asked[0] += 1
        return asked[0] > 1

    outcome = run(one_retry(fake, model), cancelled=cancelled)
    assert outcome.skipped_reason == "superseded" and seen == [["in_progress"]]
    (check,) = fake.check_runs(REPO)
    assert (check["status"], check["conclusion"]) == ("completed", "cancelled")
    assert fake.reviews(REPO, NUMBER) == []


def test_a_failed_review_ends_its_check_run_neutral_with_the_reason(fake, model, monkeypatch):
    monkeypatch.setattr(github_publish, "_sleep", lambda s: None)
    states_seen_by_the_model(fake, model)
    fake.inject("POST", r"/reviews$", 502, times=5)
    outcome = run(one_retry(fake, model))
    assert outcome.error and not outcome.posted
    (check,) = fake.check_runs(REPO)
    assert (check["status"], check["conclusion"]) == ("completed", "neutral")
    assert check["output"]["title"] == "Review failed"
    assert "did not take the review" in check["output"]["summary"]


def test_a_run_that_raises_does_not_leave_its_check_run_running(fake, model, monkeypatch):
    from bot.review import pipeline

    def boom(*args: Any, **kw: Any) -> Any:
        raise RuntimeError("bug")

    monkeypatch.setattr(pipeline, "assemble_review", boom)
    states_seen_by_the_model(fake, model)
    with pytest.raises(RuntimeError):
        run(one_retry(fake, model))
    (check,) = fake.check_runs(REPO)
    assert (check["status"], check["conclusion"]) == ("completed", "neutral")


def test_nothing_new_on_a_reviewed_head_still_completes_the_check_run(fake, model):
    states_seen_by_the_model(fake, model)
    settings = one_retry(fake, model)
    run(settings)
    again = run(settings)  # the same finding: already on the PR, nothing posted
    assert again.skipped_reason == "already reviewed"
    checks = fake.check_runs(REPO)
    assert [(c["status"], c["conclusion"]) for c in checks] == [("completed", "success")] * 2
    titles = [c["output"]["title"] for c in checks]
    assert titles == ["No blocking findings: 1 finding", "No blocking findings: no new findings"]
    assert len(fake.reviews(REPO, NUMBER)) == 1


def test_no_checks_permission_is_asked_once_and_noted_once(fake, model):
    states_seen_by_the_model(fake, model)
    outcome = run(one_retry(fake, model, github_token="tok-nochecks"))
    assert outcome.posted and not fake.check_runs(REPO)
    assert outcome.notes.count("token cannot write checks: check run skipped") == 1
    assert len(fake.calls("POST", r"/check-runs$")) == 1


def test_a_run_without_post_or_checks_writes_no_check_run(fake, model):
    states_seen_by_the_model(fake, model)
    run(one_retry(fake, model), post=False)
    run(one_retry(fake, model), checks=False)
    assert not fake.calls("POST", r"/check-runs$")


def test_a_comment_body_reads_back_as_what_was_rendered() -> None:
    f = Finding(
        path="a.py",
        line=3,
        severity="minor",
        category="error-handling",
        title="Swallowed error (ask @alice)",
        body="Why.\n\n```python\nx = 1\n```",
        suggestion="try:\n    run()\nexcept ```odd``` as e:\n    raise",
        confidence=0.8,
        fingerprint="0123456789abcdef",
    )
    posted = read_comment_body(render_comment_body(f))
    assert (posted.severity, posted.category) == ("minor", "error-handling")
    assert posted.title == "Swallowed error (ask `@alice`)"  # as posted: mentions defused
    assert posted.suggestion == f.suggestion
    plain = read_comment_body(render_comment_body(f.model_copy(update={"suggestion": None})))
    assert plain.suggestion is None and plain.category == "error-handling"
    assert read_comment_body("just text") == type(posted)(None, None, "", None)
