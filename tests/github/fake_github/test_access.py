"""Tokens on the fake: read-only and unknown tokens, App installation tokens, a rate limit."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from github import Auth, BadCredentialsException, GithubException, GithubIntegration
from github.GithubException import RateLimitExceededException

from tests.github.fake_github.helpers import (
    NUMBER,
    REPO,
    client,
)


def test_read_token_gets_403_on_writes_and_no_token_401(fake):
    pr = client(fake, "tok-read").get_repo(REPO).get_pull(NUMBER)
    with pytest.raises(GithubException) as caught:
        pr.create_issue_comment("hi")
    assert caught.value.status == 403
    assert caught.value.data["message"] == "Resource not accessible by integration"
    with pytest.raises(BadCredentialsException):
        client(fake, None).get_repo(REPO)
    with pytest.raises(BadCredentialsException):
        client(fake, "tok-unknown").get_repo(REPO)
    assert fake.issue_comments(REPO, NUMBER) == []


def test_injected_secondary_rate_limit_then_success(fake):
    fake.inject(
        "POST",
        r"/issues/\d+/comments$",
        403,
        {"message": "You have exceeded a secondary rate limit"},
        {"retry-after": "1"},
    )
    pr = client(fake).get_repo(REPO).get_pull(NUMBER)
    with pytest.raises(RateLimitExceededException) as caught:
        pr.create_issue_comment("first")
    assert caught.value.headers["retry-after"] == "1"
    pr.create_issue_comment("second")
    assert [c["body"] for c in fake.issue_comments(REPO, NUMBER)] == ["second"]
    assert [r.status for r in fake.calls("POST", r"/comments$")] == [403, 201]


def test_app_installation_token_flow(fake):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    integration = GithubIntegration(
        auth=Auth.AppAuth(123, pem.decode()),
        base_url=fake.url,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )
    assert integration.get_repo_installation("o", "r").id == 1
    gh = integration.get_github_for_installation(1)
    gh.get_repo(REPO).get_pull(NUMBER).create_issue_comment("from the app")
    assert fake.tokens["ghs_inst_1"] == "write"
    assert fake.calls("POST", r"/comments$")[0].headers["authorization"] == "token ghs_inst_1"
    assert fake.jwt_claims[0]["iss"] == "123"
    with pytest.raises(GithubException) as caught:
        client(fake).requester.requestJsonAndCheck("POST", "/app/installations/1/access_tokens")
    assert caught.value.status == 401
