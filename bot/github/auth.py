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


def app_auth(app_id: str, pem: str) -> Auth.AppAuth:
    """The App's JWT signer, tried once: a key PyGithub cannot sign with is a ConfigError now,
    not a failed job later (PyGithub parses the key lazily)."""
    if not app_id.strip().isdigit():
        raise ConfigError(
            f"GITHUB_APP_ID={app_id!r} is not a number: use the App ID shown on the App's "
            "settings page"
        )
    auth = Auth.AppAuth(app_id.strip(), pem)
    try:
        auth.create_jwt()
    except Exception:
        raise ConfigError(
            "GITHUB_APP_PRIVATE_KEY is not a valid RSA private key: give the PEM text, or the "
            "path of the .pem file GitHub generated for the App"
        ) from None
    return auth


def connect_installation(settings: Settings, installation_id: int) -> Github:
    """A connection acting as one App installation; PyGithub refreshes its 1-hour token."""
    pem = settings.private_key_pem
    if not settings.github_app_id or not pem:
        raise ConfigError("the GitHub App needs GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY")
    auth = app_auth(settings.github_app_id, pem)
    integration = GithubIntegration(auth=auth, base_url=settings.github_api_url, **_NO_RETRIES)
    return integration.get_github_for_installation(installation_id)
