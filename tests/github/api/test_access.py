"""Who the adapter acts as: read-only and bad tokens, missing PRs, App installation clients."""

from __future__ import annotations

import pytest

from bot.errors import ConfigError, GitHubAccessError
from bot.github.api import GitHubClient
from tests.github.api.helpers import (
    HEAD,
    NUMBER,
    REPO,
    make_client,
    make_settings,
)
from tests.helpers.keys import app_private_key


def test_read_only_token_cannot_post_a_review(fake):
    client = make_client(fake, token="tok-read")
    with pytest.raises(GitHubAccessError) as caught:
        client.create_review(REPO, NUMBER, commit_id=HEAD, body="b", event="COMMENT", comments=())
    assert str(caught.value) == (
        "the token cannot write pull request reviews (403); it needs pull-requests: write"
    )
    assert caught.value.exit_code == 2


def test_bad_token_and_missing_pr_are_access_errors(fake):
    with pytest.raises(
        GitHubAccessError, match=r"GitHub rejected the token \(401\): set GITHUB_TOKEN"
    ):
        make_client(fake, token="tok-wrong").fetch_pull_request(REPO, NUMBER)
    with pytest.raises(GitHubAccessError) as caught:
        make_client(fake).fetch_pull_request(REPO, 404)
    assert str(caught.value) == "octo/widgets#404 not found, or the token cannot see it (404)"


def test_app_installation_client_gets_a_token_and_reads(fake):
    settings = make_settings(
        fake, github_token=None, github_app_id="123", github_app_private_key=app_private_key()
    )
    client = GitHubClient.for_installation(settings, 1)
    assert client.fetch_pull_request(REPO, NUMBER).pr.head_sha == HEAD
    assert fake.calls("POST", r"/app/installations/1/access_tokens$")
    assert fake.jwt_claims and fake.jwt_claims[0]["iss"] == "123"
    pr_get = fake.calls("GET", r"/pulls/7$")[0]
    assert pr_get.headers["authorization"] == "token ghs_inst_1"


def test_app_installation_client_needs_a_valid_key(fake):
    settings = make_settings(fake, github_app_id="123", github_app_private_key="-----BEGIN nope")
    with pytest.raises(ConfigError, match="not a valid RSA private key"):
        GitHubClient.for_installation(settings, 1)
    with pytest.raises(ConfigError, match="GITHUB_APP_ID"):
        GitHubClient.for_installation(make_settings(fake), 1)
