"""Deciding whether to review: skips, the base commit's config, bad config, superseded runs."""

from __future__ import annotations

import pytest

from bot.github.api import GitHubClient
from bot.github.review import review_pull_request
from tests.github.review.helpers import (
    BASE,
    CONFIG,
    HEAD,
    HEAD2,
    NUMBER,
    REPO,
    V1,
    make_settings,
    review_posts,
    run,
)


@pytest.mark.parametrize(
    ("pr", "reason"),
    [
        ({"draft": True}, "draft"),
        ({"author": "renovate[bot]", "author_type": "Bot"}, "bot author"),
        ({"labels": ["no-review"]}, "skip label"),
        ({"state": "closed"}, "closed"),
    ],
)
def test_automatic_runs_skip(fake, model, settings, pr, reason):
    fake.add_pr(REPO, NUMBER, base_sha=BASE, head_sha=HEAD, files=V1, **pr)
    fake.add_file_content(REPO, BASE, CONFIG, "skip_labels: [no-review]\n")
    outcome = run(settings)
    assert (outcome.skipped_reason, outcome.posted, outcome.exit_code) == (reason, False, 0)
    assert not model.requests and not review_posts(fake)
    assert run(settings, trigger="command").posted  # a person's /review still runs


def test_config_comes_from_the_base_commit_not_the_head(fake, model, settings):
    fake.add_file_content(REPO, HEAD, CONFIG, "enabled: false\n")  # the PR tries to opt out
    assert run(settings).posted
    assert all(r.query.get("ref") == BASE for r in fake.calls("GET", "/contents/"))
    fake.add_pr(REPO, 8, base_sha="e" * 40, head_sha="f" * 40, files=V1)
    fake.add_file_content(REPO, "e" * 40, CONFIG, "enabled: false\n")
    client = GitHubClient.from_token(settings)
    outcome = review_pull_request(settings, client, repo=REPO, number=8, trigger="auto", post=True)
    assert outcome.skipped_reason == "disabled by config"


def test_invalid_base_config_comments_once_and_exits_2(fake, model, settings):
    fake.add_file_content(REPO, BASE, CONFIG, "max_comments: 10\nbogus_key: 1\n")
    first = run(settings)
    assert (first.exit_code, first.skipped_reason) == (2, "invalid config")
    assert "bogus_key" in first.error
    second = run(settings)
    assert second.exit_code == 2
    (comment,) = fake.issue_comments(REPO, NUMBER)
    assert "bogus_key" in comment["body"] and "<!-- grok-review:config-error -->" in comment["body"]
    assert not model.requests and not review_posts(fake)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("exclude: " + "[" * 20_000 + "]" * 20_000, "nested too deeply"),
        ("max_requests: " + "9" * 5_000, "too many digits"),
    ],
    ids=["deep", "huge-int"],
)
def test_hostile_base_config_gets_the_usual_comment_and_exit_2(fake, model, settings, text, says):
    fake.add_file_content(REPO, BASE, CONFIG, text)
    outcome = run(settings)
    assert (outcome.exit_code, outcome.skipped_reason) == (2, "invalid config")
    (comment,) = fake.issue_comments(REPO, NUMBER)
    assert says in comment["body"] and "<!-- grok-review:config-error -->" in comment["body"]
    assert not model.requests and not review_posts(fake)


def test_invalid_base_config_with_a_read_only_token_still_says_why(fake, model):
    fake.add_file_content(REPO, BASE, CONFIG, "bogus_key: 1\n")
    outcome = run(make_settings(fake, model, github_token="tok-read"))
    assert outcome.exit_code == 2 and "bogus_key" in outcome.error
    assert outcome.notes == (
        "could not comment about the configuration error: the token cannot write pull "
        "request comments (403); it needs pull-requests: write (or issues: write)",
    )


def test_cancelled_or_superseded_runs_post_nothing(fake, model, settings):
    assert run(settings, cancelled=lambda: True).skipped_reason == "superseded"
    assert run(settings, expected_head=HEAD2).skipped_reason == "superseded"
    assert not model.requests and not review_posts(fake)
