"""Rate limits, retries and write spacing in the adapter, on recorded waits."""

from __future__ import annotations

import pytest

from bot.errors import GitHubAccessError, GitHubError
from bot.github.data import GitHubRateLimited
from tests.github.api.helpers import (
    HEAD,
    NUMBER,
    REPO,
    Waits,
    make_client,
    waiting_client,
)


def test_primary_rate_limit_is_an_upstream_error_not_an_access_error(fake):
    limit = {"message": "API rate limit exceeded for installation ID 1."}
    fake.inject("GET", r"/pulls/7$", 403, limit)
    with pytest.raises(GitHubError) as caught:
        make_client(fake).fetch_pull_request(REPO, NUMBER)
    assert not isinstance(caught.value, GitHubAccessError) and caught.value.exit_code == 3
    assert str(caught.value).startswith("GitHub API rate limit exceeded: ")
    assert len(fake.calls("GET", r"/pulls/7$")) == 1  # not waited out: it lasts up to an hour


def test_secondary_rate_limit_on_a_read_is_waited_out(fake):
    waits = Waits()
    fake.inject(
        "GET",
        r"/pulls/7$",
        403,
        {"message": "You have exceeded a secondary rate limit"},
        {"retry-after": "7"},
    )
    client = waiting_client(fake, waits)
    assert client.fetch_pull_request(REPO, NUMBER).pr.head_sha == HEAD
    assert waits.slept == [7.0]
    assert [r.status for r in fake.calls("GET", r"/pulls/7$")] == [403, 200]


def test_secondary_rate_limit_on_the_review_post_is_left_to_the_caller(fake):
    fake.inject("POST", r"/reviews$", 429, {"message": "slow down"}, {"retry-after": "3"})
    with pytest.raises(GitHubRateLimited) as caught:
        make_client(fake).create_review(
            REPO, NUMBER, commit_id=HEAD, body="b", event="COMMENT", comments=()
        )
    assert caught.value.wait_s == 3.0
    assert len(fake.calls("POST", r"/reviews$")) == 1 and not fake.reviews(REPO, NUMBER)


def test_reads_retry_5xx_with_backoff_but_writes_do_not(fake):
    waits = Waits()
    client = waiting_client(fake, waits, github_retry_base_s=0.5)
    fake.inject("GET", r"/pulls/7$", 502, times=2)
    assert client.fetch_pull_request(REPO, NUMBER).pr.number == NUMBER
    assert waits.slept == [0.5, 1.0]
    fake.inject("POST", r"/issues/7/comments$", 500, apply_then_fail=True)
    with pytest.raises(GitHubError) as caught:
        client.create_issue_comment(REPO, NUMBER, "hello")
    assert caught.value.status == 500
    assert len(fake.calls("POST", r"/issues/7/comments$")) == 1


def test_writes_are_spaced_apart(fake):
    waits = Waits()
    client = waiting_client(fake, waits, github_write_spacing_s=1.5)
    client.create_issue_comment(REPO, NUMBER, "one")
    waits.now += 0.5
    client.create_issue_comment(REPO, NUMBER, "two")
    assert waits.slept == [pytest.approx(1.0)]
