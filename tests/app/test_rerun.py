"""Re-run of the bot's check run (`check_run.rerequested`), and the feedback figures as metrics.

The recorded payload (tests/data/webhooks/check_run.rerequested.json) is another app's run;
`ours()` turns a copy into the App's own, as tests/data/README.md describes.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.app.events import Enqueue, Ignore, decide
from bot.app.jobs import ReviewJob
from bot.app.reviewer import AppReviewer
from bot.github.api import GitHubClient
from bot.review.feedback import FeedbackStats
from bot.settings import Settings
from tests.app.conftest import SettingsFactory
from tests.app.helpers import app_with_reviewer, deliver, finished, opened_queue, payload, wait_for
from tests.fakes.github import FakeGitHub
from tests.fakes.github_feedback import set_role
from tests.fakes.jobs import FakeJobContext
from tests.fakes.openai_server import FakeModel, finding
from tests.helpers.settings import review_values

APP_ID = 29310  # make_settings' GITHUB_APP_ID
REPO = "github/hello-world"  # the recorded payload's repository
NUMBER = 5
PATCH = "@@ -1,2 +1,3 @@\n import os\n+for i in range(len(xs) - 1):\n print('done')"


def ours(
    *, number: int | None = NUMBER, via: str = "pull_requests", **sender: Any
) -> dict[str, Any]:
    """The recorded rerequested payload, made a re-run of the App's own check run."""
    data = payload("check_run.rerequested")
    check = data["check_run"]
    check["name"] = "grok-review"
    check["app"]["id"] = APP_ID
    if number is not None and via == "pull_requests":
        check["pull_requests"] = [{"number": number, "id": 1, "url": "u"}]
    elif number is not None:
        check["external_id"] = str(number)
    data["sender"].update(sender)
    return data


# --- which deliveries start a review --------------------------------------------------------


def test_a_rerun_of_our_check_run_asks_for_a_review_of_the_current_head() -> None:
    decision = decide("check_run", ours(), delivery_id="d1", app_id=APP_ID)
    assert isinstance(decision, Enqueue)
    job = decision.job
    assert (job.repo, job.number, job.head_sha, job.trigger) == (REPO, NUMBER, None, "rerun")
    assert (job.requested_by, job.installation_id, job.delivery_id) == ("octocat", 1, "d1")
    # A PR from a fork is not listed by GitHub: the number comes from our external_id.
    forked = decide("check_run", ours(number=9, via="external_id"), delivery_id="d", app_id=None)
    assert isinstance(forked, Enqueue) and forked.job.number == 9


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (payload("check_run.rerequested"), "a check run of another app or name"),
        ({**ours(), "action": "completed"}, "check_run 'completed' needs no review"),
        (ours(type="Bot"), "a re-run from a bot is ignored"),
        (ours(number=None), "the payload names no pull request"),
    ],
)
def test_other_check_run_deliveries_are_ignored(data: dict[str, Any], reason: str) -> None:
    assert decide("check_run", data, delivery_id="d", app_id=APP_ID) == Ignore(reason)


def test_another_apps_run_of_the_same_name_is_ignored() -> None:
    data = ours()
    data["check_run"]["app"]["id"] = 2
    assert isinstance(decide("check_run", data, delivery_id="d", app_id=APP_ID), Ignore)


# --- end to end: signed webhook -> job -> check run in_progress -> completed -----------------


def _settings(make: SettingsFactory, fake: FakeGitHub, model: FakeModel) -> Settings:
    return make(**review_values(fake, model), feedback_refresh_s=0)


def _pr(fake: FakeGitHub) -> None:
    files = [{"filename": "src/app.py", "status": "modified", "patch": PATCH}]
    fake.add_pr(REPO, NUMBER, head_sha="c" * 40, files=files)


def test_rerun_reviews_with_the_check_run_in_progress_then_completed(
    make: SettingsFactory, fake_github: FakeGitHub, model: FakeModel
) -> None:
    fake = fake_github
    _pr(fake)
    set_role(fake, REPO, "octocat", "write")
    seen: list[list[tuple[str, str | None]]] = []

    def reply(request: dict[str, Any]) -> list[dict[str, Any]]:
        seen.append([(r["status"], r["conclusion"]) for r in fake.check_runs(REPO)])
        return [finding(path="src/app.py", line=2)]

    model.script(reply)
    with app_with_reviewer(_settings(make, fake, model)) as (client, queue):
        answer = deliver(client, "check_run", ours(), delivery="rerun-1")
        assert (answer.status_code, answer.json()["outcome"]) == (202, "queued")
        record = wait_for(lambda: finished(queue, "rerun-1"), what="the re-run")
        metrics = client.get("/metrics").text
    assert (record.state, record.status) == ("done", "posted")
    assert seen == [[("in_progress", None)]]
    (check,) = fake.check_runs(REPO)
    assert (check["name"], check["head_sha"]) == ("grok-review", "c" * 40)
    assert (check["status"], check["conclusion"]) == ("completed", "success")
    assert len(fake.reviews(REPO, NUMBER)) == 1
    (asked,) = fake.calls("GET", r"/collaborators/octocat/permission$")
    assert asked.status == 200
    # The job refreshed the repository's feedback figures; a scrape reads them from the store.
    assert f'grok_review_feedback_reviews{{repo="{REPO}"}} 1.0' in metrics
    assert f'grok_review_feedback_comments{{category="bug",repo="{REPO}"}} 1.0' in metrics
    assert (
        f'grok_review_feedback_reactions{{category="bug",reaction="thumbs_down",repo="{REPO}"}} 0.0'
        in metrics
    )
    listings = len(fake.calls("GET", r"/pulls/comments$"))
    with app_with_reviewer(_settings(make, fake, model)) as (client, _):
        client.get("/metrics")
        client.get("/metrics")
    assert len(fake.calls("GET", r"/pulls/comments$")) == listings  # scrapes cost GitHub nothing


def test_a_rerun_by_someone_who_cannot_push_reviews_nothing(
    make: SettingsFactory, fake_github: FakeGitHub, model: FakeModel
) -> None:
    fake = fake_github
    _pr(fake)
    set_role(fake, REPO, "visitor", "triage")
    with app_with_reviewer(_settings(make, fake, model)) as (client, queue):
        deliver(client, "check_run", ours(login="visitor"), delivery="rerun-2")
        deliver(client, "check_run", ours(login="nobody"), delivery="rerun-3")
        records = [wait_for(lambda: finished(queue, "rerun-2"), what="the refusal")]
        records.append(wait_for(lambda: finished(queue, "rerun-3"), what="the refusal"))
    assert [(r.state, r.status) for r in records] == [("done", "skipped")] * 2
    assert records[0].detail == "re-run by visitor (read access): only writers may re-run"
    assert records[1].detail == "re-run by nobody (none access): only writers may re-run"
    assert not model.requests and not fake.check_runs(REPO) and not fake.reviews(REPO, NUMBER)


def test_the_store_keeps_the_newest_figures_per_repository(make: SettingsFactory) -> None:
    settings = make()
    with opened_queue(settings) as queue:
        store = queue.store
        first = FeedbackStats(repo="octo/a", days=90, comments=1)
        store.save_feedback("octo/a", first.model_dump_json())
        store.save_feedback("octo/b", FeedbackStats(repo="octo/b", days=90).model_dump_json())
        second = FeedbackStats(repo="octo/a", days=90, comments=2)
        store.save_feedback("octo/a", second.model_dump_json())
        rows = store.load_feedback(newer_than_s=3600)
        assert sorted(rows) == ["octo/a", "octo/b"]
        assert FeedbackStats.model_validate_json(rows["octo/a"][0]).comments == 2
        assert store.load_feedback(newer_than_s=-3600) == {}


def test_figures_are_read_at_most_every_feedback_refresh_s(
    make: SettingsFactory, fake_github: FakeGitHub, model: FakeModel
) -> None:
    _pr(fake_github)
    model.script(lambda request: [])
    settings = _settings(make, fake_github, model).model_copy(update={"feedback_refresh_s": 600})
    now = [1000.0]
    reviewer = AppReviewer(
        settings, client_for=lambda _: GitHubClient.from_token(settings), clock=lambda: now[0]
    )

    def figures(delivery: str) -> str | None:
        job = ReviewJob(delivery, 1, REPO, NUMBER, None, "command")
        return reviewer.review(job, FakeJobContext()).feedback

    first = figures("d1")
    assert first is not None and FeedbackStats.model_validate_json(first).repo == REPO
    now[0] += 599
    assert figures("d2") is None
    now[0] += 2
    assert figures("d3") is not None
