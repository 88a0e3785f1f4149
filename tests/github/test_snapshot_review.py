"""The snapshot in a whole GitHub review: handed to the pipeline, never fatal, cached by the
App, and not fetched when nothing is left to review."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app.jobs import ReviewJob
from bot.app.reviewer import AppReviewer
from bot.github.api import GitHubClient
from bot.github.review import review_pull_request
from bot.settings import Settings
from tests.fakes.github import FakeGitHub
from tests.fakes.jobs import FakeJobContext
from tests.fakes.openai_server import FakeModel, finding
from tests.helpers.settings import settings_for

REPO, NUMBER = "octo/widgets", 7
BASE, HEAD = "a" * 40, "b" * 40
PATCH = "@@ -1,2 +1,3 @@\n import os\n+for i in range(len(xs) - 1):\n print('done')"
FILES = [{"filename": "src/app.py", "status": "modified", "patch": PATCH}]
APP = "import os\nfor i in range(len(xs) - 1):\nprint('done')\n"
BUG = finding(path="src/app.py", line=2)


@pytest.fixture
def model(fake_model: FakeModel) -> FakeModel:
    fake_model.script(lambda request: [BUG])
    return fake_model


@pytest.fixture
def fake(fake_github: FakeGitHub) -> FakeGitHub:
    fake_github.add_pr(REPO, NUMBER, base_sha=BASE, head_sha=HEAD, files=FILES)
    return fake_github


def review(settings: Settings, **kw: Any):
    client = GitHubClient.from_token(settings)
    kw.setdefault("trigger", "auto")
    kw.setdefault("post", True)
    return review_pull_request(settings, client, repo=REPO, number=NUMBER, **kw)


def test_the_head_snapshot_reaches_the_pipeline(fake, model, prepared):
    fake.add_commit_files(REPO, HEAD, {"src/app.py": APP, "README.md": "# W\n"})
    outcome = review(settings_for(fake, model))
    assert outcome.posted and outcome.exit_code == 0
    assert prepared == [
        {
            "source": "github",
            "app": APP,
            "base": "import os\nprint('done')\n",
            "note": None,
        }
    ]
    assert "Context:" not in fake.reviews(REPO, NUMBER)[0]["body"]


def test_dry_run_gets_the_snapshot_too(fake, model, prepared):
    fake.add_commit_files(REPO, HEAD, {"src/app.py": APP})
    outcome = review(settings_for(fake, model), post=False, dry_run=True)
    assert outcome.plan is not None and prepared[0]["app"] == APP


@pytest.mark.parametrize("status", [403, 404, 500])
def test_snapshot_failure_is_a_diff_only_review_with_the_reason_in_the_summary(
    fake, model, prepared, status
):
    fake.add_commit_files(REPO, HEAD, {"src/app.py": APP})
    fake.inject("GET", "/tarball/", status, times=10)
    outcome = review(settings_for(fake, model, github_retries=1))
    assert (outcome.posted, outcome.exit_code, outcome.error) == (True, 0, None)
    assert prepared[0]["source"] is None
    assert prepared[0]["note"].startswith("none: ")
    body = fake.reviews(REPO, NUMBER)[0]["body"]
    assert "Context: none: " in body
    assert outcome.review.comments  # the review itself went on


def test_nothing_left_to_review_fetches_no_snapshot(fake, model, prepared):
    lock = {"filename": "poetry.lock", "status": "modified", "patch": "@@ -1 +1 @@\n-a\n+b"}
    fake.add_pr(REPO, NUMBER, base_sha=BASE, head_sha=HEAD, files=[lock])
    review(settings_for(fake, model))
    assert not fake.calls("GET", "/git/trees/") and prepared[0]["note"] is None


def test_app_caches_the_snapshot_by_head_under_its_data_dir(fake, model, prepared, tmp_path):
    fake.add_commit_files(REPO, HEAD, {"src/app.py": APP})
    settings = settings_for(fake, model, data_dir=tmp_path)
    reviewer = AppReviewer(settings, client_for=lambda iid: GitHubClient.from_token(settings))
    job = ReviewJob("d1", 1, REPO, NUMBER, HEAD, "auto")
    assert reviewer.review(job, FakeJobContext()).status == "posted"
    (cached,) = (tmp_path / "snapshots").rglob("*.zip")
    assert cached.name == f"{HEAD}.zip"
    trees = len(fake.calls("GET", "/git/trees/"))
    reviewer.review(ReviewJob("d2", 1, REPO, NUMBER, HEAD, "command"), FakeJobContext())
    assert len(fake.calls("GET", "/git/trees/")) == trees == 1  # the second came from disk
    assert prepared[1] == prepared[0] and prepared[1]["app"] == APP


@pytest.mark.parametrize(
    ("yaml", "fetched"),
    [
        ("context: {enabled: false}\ntools: {enabled: false}\n", False),
        ("context: {enabled: false}\n", True),  # the model's tools still read it
        ("tools: {enabled: false}\n", True),
    ],
)
def test_a_snapshot_is_fetched_only_when_context_or_tools_read_it(
    fake, model, prepared, yaml, fetched
):
    fake.add_commit_files(REPO, HEAD, {"src/app.py": APP})
    fake.add_file_content(REPO, BASE, ".github/grok-review.yml", yaml)
    outcome = review(settings_for(fake, model))
    assert outcome.posted
    assert bool(fake.calls("GET", "/git/trees/")) is fetched
    assert (prepared[0]["source"] == "github") is fetched
