"""Findings not tied to a changed line reach fail_on on GitHub too: REQUEST_CHANGES, the check
run's conclusion and keeping an earlier request for changes all follow one rule."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.settings import Settings
from tests.fakes.github import FakeGitHub
from tests.fakes.openai_server import FakeModel, finding
from tests.github.review.helpers import (
    BASE,
    CONFIG,
    HEAD,
    HEAD2,
    NUMBER,
    REPO,
    V1,
    V2,
    make_settings,
    review_posts,
    run,
    script,
)

# A major problem the model places on line 40, which the diff does not touch.
STRAY = finding(path="src/app.py", line=40, severity="major", title="Leak", code="f = open(p)")


@pytest.fixture
def fake(fake_github: FakeGitHub) -> Iterator[FakeGitHub]:
    fake_github.add_pr(REPO, NUMBER, base_sha=BASE, head_sha=HEAD, files=V1)
    fake_github.add_file_content(REPO, BASE, CONFIG, "fail_on: major\nrequest_changes: true\n")
    yield fake_github


@pytest.fixture
def settings(fake: FakeGitHub) -> Iterator[Settings]:
    with FakeModel() as model:
        script(model, {"src/app.py": [STRAY]})
        yield make_settings(fake, model)


def test_an_unplaced_blocking_finding_requests_changes_and_fails_the_check(fake, settings):
    outcome = run(settings)
    assert outcome.exit_code == 1
    (post,) = review_posts(fake)
    assert post.json["event"] == "REQUEST_CHANGES" and post.json["comments"] == []
    assert "Leak" in post.json["body"]
    (check,) = fake.check_runs(REPO)
    assert check["conclusion"] == "failure" and check["annotations"] == []


def test_an_earlier_request_for_changes_stays_while_an_unplaced_blocker_remains(fake, settings):
    run(settings)
    fake.set_pr_head(REPO, NUMBER, HEAD2, V2)
    again = run(settings, trigger="command")  # the same finding again, already on the PR
    assert again.exit_code == 1
    assert not fake.calls("PUT", r"/dismissals$")
    first = fake.reviews(REPO, NUMBER)[0]
    assert first["state"] == "CHANGES_REQUESTED"
