"""PyGithub connections for the adapter: a token (or none), or one GitHub App installation."""

from __future__ import annotations

from typing import Any, Literal

from github import Auth, Github, GithubIntegration

from bot.errors import ConfigError
from bot.settings import Settings

PER_PAGE = 100
Credential = Literal["token", "app", "none"]

# PyGithub's own retries and pauses are off: its retry of a POST on 5xx can post a review
# twice. The transport (transport.py) retries, spaces and waits by our rules.
_NO_RETRIES: dict[str, Any] = {
    "retry": None,
    "seconds_between_requests": None,
    "seconds_between_writes": None,
    "per_page": PER_PAGE,
}


def connect_token(settings: Settings, *, token: str | None = None) -> tuple[Github, Credential]:
    """A connection for `token` (default settings.github_token); anonymous without one."""
    token = token if token is not None else settings.github_token
    auth = Auth.Token(token) if token else None
    gh = Github(base_url=settings.github_api_url, auth=auth, **_NO_RETRIES)
    return gh, "token" if token else "none"


def connect_installation(settings: Settings, installation_id: int) -> Github:
    """A connection acting as one App installation; PyGithub refreshes its 1-hour token."""
    pem = settings.private_key_pem
    if not settings.github_app_id or not pem:
        raise ConfigError("the GitHub App needs GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY")
    auth = Auth.AppAuth(settings.github_app_id, pem)
    try:
        auth.create_jwt()
    except Exception:  # the key is parsed lazily; say so now, in one line
        raise ConfigError("GITHUB_APP_PRIVATE_KEY is not a valid RSA private key") from None
    integration = GithubIntegration(auth=auth, base_url=settings.github_api_url, **_NO_RETRIES)
    return integration.get_github_for_installation(installation_id)
