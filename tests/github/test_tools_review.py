"""Tools in a whole GitHub review (the path of `review-pr OWNER/REPO#N`, the Action and the
App): the model reads the PR head's snapshot, and the App's daily budget bounds the rounds."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app.attempt import RunContext
from bot.app.jobs import ReviewJob
from bot.app.reviewer import AppReviewer
from bot.app.store.sqlite import SqliteStore
from bot.github.api import GitHubClient
from bot.github.review import review_pull_request
from bot.settings import Settings
from tests.fakes.github import FakeGitHub
from tests.fakes.jobs import FakeJobContext
from tests.fakes.openai_server import FakeModel, calls, finding, findings, messages_of, tool_call
from tests.github.test_snapshot_review import APP, BASE, FILES, HEAD, NUMBER, REPO
from tests.helpers.settings import settings_for

UTIL = "def half(n):\n    return n / 2\n"
BUG = finding(path="src/app.py", line=2)


@pytest.fixture
def fake(fake_github: FakeGitHub) -> FakeGitHub:
    fake_github.add_pr(REPO, NUMBER, base_sha=BASE, head_sha=HEAD, files=FILES)
    fake_github.add_commit_files(REPO, HEAD, {"src/app.py": APP, "src/util.py": UTIL})
    return fake_github


def reads_then_answers(request: dict[str, Any]) -> Any:
    if request["json"].get("tool_choice") == "auto" and not any(
        m["role"] == "tool" for m in messages_of(request)
    ):
        return calls(tool_call("read_file", {"path": "src/util.py"}))
    return findings([BUG])


def test_the_model_reads_the_head_snapshot_and_the_review_counts_it(fake, model) -> None:
    model.script(reads_then_answers)
    client = GitHubClient.from_token(settings_for(fake, model))
    outcome = review_pull_request(
        settings_for(fake, model), client, repo=REPO, number=NUMBER, trigger="auto", post=True
    )
    assert outcome.posted and outcome.exit_code == 0
    (answer,) = [m for m in messages_of(model.requests[1]) if m["role"] == "tool"]
    assert answer["content"].splitlines()[1:] == ["1: def half(n):", "2:     return n / 2"]
    usage = outcome.review.usage
    assert (usage.tool_calls, usage.tool_rounds, usage.requests) == (1, 1, 2)
    body = fake.reviews(REPO, NUMBER)[0]["body"]
    assert "2 requests · 1 tool call in 1 round ·" in body


def app_review(fake: FakeGitHub, model: FakeModel, budget: float | None, **kw: Any) -> Any:
    settings: Settings = settings_for(fake, model, **kw)
    reviewer = AppReviewer(settings, client_for=lambda iid: GitHubClient.from_token(settings))
    return reviewer.review(
        ReviewJob("d1", 1, REPO, NUMBER, HEAD, "auto"), FakeJobContext(budget=budget)
    )


def test_the_app_offers_no_round_the_daily_budget_cannot_cover(fake, model, tmp_path) -> None:
    model.script(reads_then_answers)
    result = app_review(fake, model, budget=0.0001, data_dir=tmp_path)
    assert result.status == "posted"
    assert [r["json"]["tool_choice"] for r in model.requests] == ["none"]


def test_the_app_offers_rounds_within_the_daily_budget(fake, model, tmp_path) -> None:
    model.script(reads_then_answers)
    result = app_review(fake, model, budget=5.0, data_dir=tmp_path)
    assert result.status == "posted"
    assert [r["json"]["tool_choice"] for r in model.requests] == ["auto", "auto"]


def test_tools_off_in_the_base_branch_config_sends_no_tools(fake, model, tmp_path) -> None:
    fake.add_file_content(REPO, BASE, ".github/grok-review.yml", "tools:\n  enabled: false\n")
    model.script(reads_then_answers)
    result = app_review(fake, model, budget=None, data_dir=tmp_path)
    assert result.status == "posted"
    assert ["tools" in r["json"] for r in model.requests] == [False]


def test_the_app_asks_its_share_of_the_budget_once_with_the_worst_case(fake, model, tmp_path):
    model.script(reads_then_answers)
    settings: Settings = settings_for(fake, model, data_dir=tmp_path)
    reviewer = AppReviewer(settings, client_for=lambda iid: GitHubClient.from_token(settings))
    ctx = FakeJobContext(budget=5.0)
    reviewer.review(ReviewJob("d1", 1, REPO, NUMBER, HEAD, "auto"), ctx)
    (worst,) = ctx.reserved
    assert 0 < worst < 5.0  # the plan's upper estimate with every tool round, not the budget


def test_what_another_running_job_set_aside_is_not_spent_twice(fake, model, tmp_path) -> None:
    """Two jobs of one installation: the first holds all but $0.001 of the $5 budget, so the
    second (told at its start that $5 is left, enough for its rounds alone) gets none."""
    model.script(reads_then_answers)
    settings: Settings = settings_for(fake, model, data_dir=tmp_path, daily_budget_usd=5.0)
    store = SqliteStore(tmp_path / "queue.sqlite3")
    try:
        contexts = []
        for delivery, number in (("d-other", 9), ("d1", NUMBER)):
            store.accept(ReviewJob(delivery, 1, REPO, number, HEAD, "auto"))
            store.claim(delivery, owner=f"w-{delivery}", lock_ttl_s=60)
            contexts.append(
                RunContext(
                    store,
                    delivery,
                    owner=f"w-{delivery}",
                    interval_s=60,
                    lock_ttl_s=60,
                    timeout_s=60,
                    budget_left_usd=5.0,
                    daily_budget_usd=5.0,
                )
            )
        other, mine = contexts
        assert other.reserve_budget(4.999) == pytest.approx(4.999)
        reviewer = AppReviewer(settings, client_for=lambda iid: GitHubClient.from_token(settings))
        result = reviewer.review(ReviewJob("d1", 1, REPO, NUMBER, HEAD, "auto"), mine)
        assert result.status == "posted"
        assert [r["json"]["tool_choice"] for r in model.requests] == ["none"]
    finally:
        store.close()
