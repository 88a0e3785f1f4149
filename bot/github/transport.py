"""The adapter's one seam to GitHub's REST API: retries, write spacing, pages, error messages."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import requests
from github import Github, GithubException

from bot.errors import GitHubAccessError, GitHubError
from bot.github.auth import PER_PAGE, Credential
from bot.github.data import Access, GitHubRateLimited
from bot.github.markers import is_ours
from bot.settings import Settings

# Rules:
# - GETs retry on 5xx and dropped connections with backoff; writes never retry blindly (the
#   caller decides, after checking what landed); secondary rate limits (GitHub did not carry
#   the request out) are waited out and retried.
# - Writes are spaced `github_write_spacing_s` apart (GitHub's secondary limits).
# - Our own work is found by its hidden markers AND an author that is a Bot or the token's
#   user: `GET /user` is refused to installation tokens, and a person can paste a marker.


def _message(exc: GithubException) -> str:
    """GitHub's message plus its `errors` details (a 422 says what was wrong only there)."""
    data = exc.data if isinstance(exc.data, Mapping) else {}
    parts = [str(data.get("message") or exc.message or "")]
    for error in data.get("errors") or ():
        detail = error.get("message") or error.get("code") if isinstance(error, Mapping) else error
        if detail:
            parts.append(str(detail))
    return " ".join(": ".join(p for p in parts if p).split())


def rate_limit_wait(exc: GithubException, *, default_s: float) -> float | None:
    """Seconds to wait for a secondary rate limit, or None when this is not one."""
    headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
    message = _message(exc).lower()
    if exc.status not in (403, 429):
        return None
    retry_after = headers.get("retry-after")
    if retry_after is None and "secondary rate limit" not in message and exc.status != 429:
        return None
    try:
        return max(0.0, float(retry_after)) if retry_after is not None else default_s
    except ValueError:
        return default_s


class GitHubTransport:
    """JSON requests through PyGithub's requester, with our retry, spacing and error rules.

    GitHubClient (api.py) holds one and builds its calls on `request`, `pages` and `is_ours`.
    """

    def __init__(
        self,
        gh: Github,
        settings: Settings,
        *,
        credential: Credential = "token",
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._gh = gh
        self._settings = settings
        self._credential = credential
        self._sleep = sleep
        self._clock = clock
        self._write_lock = threading.Lock()
        self._last_write: float | None = None
        self._login: str | None = None
        self._login_known = credential != "token"
        self._sent = 0
        self._sent_lock = threading.Lock()

    def request(
        self,
        verb: str,
        path: str,
        access: Access,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        retry_rate_limits: bool = True,
    ) -> tuple[dict[str, Any], Any]:
        """(headers, JSON) of one request; a failure is a GitHubError saying what to fix."""
        write = verb != "GET"
        failures = 0
        while True:
            if write:
                self._space_writes()
            try:
                requester = self._gh.requester
                self._count()
                return requester.requestJsonAndCheck(verb, path, parameters=params, input=body)
            except GithubException as exc:
                error = self._translate(exc, access)
            except requests.RequestException as exc:
                error = GitHubError(f"GitHub did not answer ({type(exc).__name__}): {verb} {path}")
            limited = isinstance(error, GitHubRateLimited) and retry_rate_limits
            transient = not write and (error.status is None or error.status >= 500)
            if failures >= self._settings.github_retries or not (limited or transient):
                raise error
            if isinstance(error, GitHubRateLimited):
                self._sleep(error.wait_s)
            else:
                self._sleep(self._settings.github_retry_base_s * 2**failures)
            failures += 1

    def pages(
        self,
        path: str,
        access: Access,
        *,
        limit: int | None = None,
        params: Mapping[str, Any] | None = None,
        max_pages: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every item of a listing, 100 a page, following GitHub's `Link: rel="next"`.

        Lazy: a caller that stops iterating sends no further request. `max_pages` bounds
        the cost of a listing that can be long (a busy repository's comments).
        """
        count, page = 0, 1
        while True:
            query = {**(params or {}), "per_page": PER_PAGE, "page": page}
            headers, data = self.request("GET", path, access, params=query)
            items = data if isinstance(data, list) else []
            for item in items:
                if limit is not None and count >= limit:
                    return
                count += 1
                yield item
            if not items or 'rel="next"' not in str(headers.get("link", "")):
                return
            if max_pages is not None and page >= max_pages:
                return
            page += 1

    @property
    def requests_sent(self) -> int:
        """HTTP requests sent so far, retries included: what a task cost."""
        return self._sent

    def _count(self) -> None:
        with self._sent_lock:
            self._sent += 1

    def is_ours(self, item: Mapping[str, Any]) -> bool:
        """A review or comment the bot wrote: our marker, by a Bot or the token's own user."""
        body = item.get("body") or ""
        user = item.get("user") or {}
        if not is_ours(body):
            return False
        if user.get("type") == "Bot":
            return True
        login = self._token_login()
        return login is not None and user.get("login") == login

    def _space_writes(self) -> None:
        with self._write_lock:
            if self._last_write is not None:
                wait = self._last_write + self._settings.github_write_spacing_s - self._clock()
                if wait > 0:
                    self._sleep(wait)
            self._last_write = self._clock()

    def _translate(self, exc: GithubException, access: Access) -> GitHubError:
        status, message = exc.status, _message(exc)
        wait = rate_limit_wait(exc, default_s=self._settings.github_secondary_wait_s)
        if wait is not None:
            return GitHubRateLimited(f"GitHub rate limit: {message}", status=status, wait_s=wait)
        if status == 401:
            hint = {
                "token": "set GITHUB_TOKEN to a valid token",
                "app": "check GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY",
                "none": "set GITHUB_TOKEN",
            }[self._credential]
            who = "anonymous access" if self._credential == "none" else "the token"
            return GitHubAccessError(f"GitHub rejected {who} (401): {hint}", status=401)
        if status == 403 and message.lower().startswith("api rate limit exceeded"):
            return GitHubError(f"GitHub API rate limit exceeded: {message}", status=403)
        if status == 403:
            who = "anonymous access" if self._credential == "none" else "the token"
            need = f"; it needs {access.permission}"
            hint = " (set GITHUB_TOKEN)" if self._credential == "none" else ""
            return GitHubAccessError(f"{who} cannot {access.action} (403){need}{hint}", status=403)
        if status == 404:
            what = access.target or "the resource"
            who = "the token cannot see it"
            if self._credential == "none":
                who = "it is private (set GITHUB_TOKEN)"
            return GitHubAccessError(f"{what} not found, or {who} (404)", status=404)
        return GitHubError(f"GitHub failed to {access.action} ({status}): {message}", status=status)

    def _token_login(self) -> str | None:
        """The token's own login (PATs); installation tokens may not ask, and need not."""
        if not self._login_known:
            self._login_known = True
            try:
                self._count()
                _, data = self._gh.requester.requestJsonAndCheck("GET", "/user")
                self._login = str(data.get("login")) if isinstance(data, dict) else None
            except (GithubException, requests.RequestException):
                self._login = None
        return self._login
