"""The GitHub adapter: the only module importing PyGithub; it speaks our models and plain data."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

import requests
from github import Auth, Github, GithubException, GithubIntegration

from bot.diff import parse_file_patch
from bot.errors import ConfigError, DiffError, GitHubAccessError, GitHubError
from bot.models import FileDiff, FileStatus, PullRequest
from bot.settings import Settings

# Rules:
# - PyGithub's own retries and pauses are off: its retry of a POST on 5xx can post a review
#   twice. Here GETs retry on 5xx and dropped connections with backoff; writes never retry
#   blindly (the caller decides, after checking what landed); secondary rate limits (GitHub
#   did not carry the request out) are waited out and retried.
# - Writes are spaced `github_write_spacing_s` apart (GitHub's secondary limits).
# - Our own work is found by its hidden markers AND an author that is a Bot or the token's
#   user: `GET /user` is refused to installation tokens, and a person can paste a marker.

PER_PAGE = 100
FILES_LIMIT = 3000  # GET /pulls/{n}/files lists no more
COMPARE_FILES_LIMIT = 300  # GET /compare lists no more
ANNOTATIONS_PER_REQUEST = 50
MARKER = "<!-- grok-review:"
Event = Literal["COMMENT", "REQUEST_CHANGES"]  # never APPROVE
_STATUS: dict[str, FileStatus] = {
    "added": "added",
    "removed": "deleted",
    "renamed": "renamed",
    "copied": "copied",
}
_NO_RETRIES: dict[str, Any] = {
    "retry": None,
    "seconds_between_requests": None,
    "seconds_between_writes": None,
    "per_page": PER_PAGE,
}


class GitHubRateLimited(GitHubError):
    """A secondary rate limit: GitHub did not carry the request out; retry after `wait_s`."""

    def __init__(self, message: str, *, status: int, wait_s: float) -> None:
        super().__init__(message, status=status)
        self.wait_s = wait_s


@dataclass(frozen=True)
class Access:
    """What a request needs, so a refusal becomes a message a person can act on."""

    action: str  # "write pull request reviews"
    permission: str  # "pull-requests: write"
    target: str | None = None  # "owner/repo#7", named when GitHub answers 404


@dataclass(frozen=True)
class FetchedPull:
    pr: PullRequest
    state: str  # "open" | "closed"
    html_url: str


@dataclass(frozen=True)
class Comparison:
    status: str  # "ahead" | "behind" | "diverged" | "identical"
    files: tuple[FileDiff, ...]
    truncated: bool  # GitHub lists at most 300 files of a comparison


@dataclass(frozen=True)
class BotItem:
    """One of our reviews or comments: id, body, review state and links."""

    id: int
    body: str
    author: str
    state: str = ""
    commit_id: str | None = None
    html_url: str | None = None


def file_from_github(item: Mapping[str, Any]) -> FileDiff:
    """A `GET /pulls/{n}/files` (or compare) entry as a FileDiff; GitHub sends hunks only."""
    path = str(item["filename"])
    status = _STATUS.get(str(item.get("status")), "modified")
    old = item.get("previous_filename") if status in ("renamed", "copied") else None
    patch = item.get("patch")
    if patch:
        try:
            return parse_file_patch(path, patch, status=status, old_path=old)
        except DiffError:
            pass  # GitHub cut the patch mid-hunk: as good as missing
    elif int(item.get("changes") or 0) == 0:
        # No patch and no changed lines: a binary file (or an empty one, which GitHub lists
        # the same way), or a pure rename with nothing to read.
        return FileDiff(path=path, old_path=old, status=status, binary=status != "renamed")
    return FileDiff(path=path, old_path=old, status=status, patch_missing=True)


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


class GitHubClient:
    """The few GitHub calls the reviewer makes, with our retry, spacing and error rules."""

    def __init__(
        self,
        gh: Github,
        settings: Settings,
        *,
        credential: Literal["token", "app", "none"] = "token",
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

    @classmethod
    def from_token(cls, settings: Settings, *, token: str | None = None) -> GitHubClient:
        """A client for `token` (default settings.github_token); anonymous without one."""
        token = token if token is not None else settings.github_token
        auth = Auth.Token(token) if token else None
        gh = Github(base_url=settings.github_api_url, auth=auth, **_NO_RETRIES)
        return cls(gh, settings, credential="token" if token else "none")

    @classmethod
    def for_installation(cls, settings: Settings, installation_id: int) -> GitHubClient:
        """A client acting as one App installation; PyGithub refreshes its 1-hour token."""
        pem = settings.private_key_pem
        if not settings.github_app_id or not pem:
            raise ConfigError("the GitHub App needs GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY")
        auth = Auth.AppAuth(settings.github_app_id, pem)
        try:
            auth.create_jwt()
        except Exception:  # the key is parsed lazily; say so now, in one line
            raise ConfigError("GITHUB_APP_PRIVATE_KEY is not a valid RSA private key") from None
        integration = GithubIntegration(auth=auth, base_url=settings.github_api_url, **_NO_RETRIES)
        return cls(
            integration.get_github_for_installation(installation_id), settings, credential="app"
        )

    # --- transport -----------------------------------------------------------------------

    def _request(
        self,
        verb: str,
        path: str,
        access: Access,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        retry_rate_limits: bool = True,
    ) -> tuple[dict[str, Any], Any]:
        write = verb != "GET"
        failures = 0
        while True:
            if write:
                self._space_writes()
            try:
                requester = self._gh.requester
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

    def _pages(
        self, path: str, access: Access, *, limit: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every item of a listing, 100 a page, following GitHub's `Link: rel="next"`."""
        count, page = 0, 1
        while True:
            params = {"per_page": PER_PAGE, "page": page}
            headers, data = self._request("GET", path, access, params=params)
            items = data if isinstance(data, list) else []
            for item in items:
                if limit is not None and count >= limit:
                    return
                count += 1
                yield item
            if not items or 'rel="next"' not in str(headers.get("link", "")):
                return
            page += 1

    def _token_login(self) -> str | None:
        """The token's own login (PATs); installation tokens may not ask, and need not."""
        if not self._login_known:
            self._login_known = True
            try:
                _, data = self._gh.requester.requestJsonAndCheck("GET", "/user")
                self._login = str(data.get("login")) if isinstance(data, dict) else None
            except (GithubException, requests.RequestException):
                self._login = None
        return self._login

    def _ours(self, item: Mapping[str, Any]) -> bool:
        body = item.get("body") or ""
        user = item.get("user") or {}
        if MARKER not in body:
            return False
        if user.get("type") == "Bot":
            return True
        login = self._token_login()
        return login is not None and user.get("login") == login

    # --- reads ---------------------------------------------------------------------------

    def fetch_pull_request(self, repo: str, number: int) -> FetchedPull:
        """The PR's metadata and files (up to GitHub's 3,000), as a PullRequest."""
        access = Access("read the pull request", "pull-requests: read", f"{repo}#{number}")
        _, data = self._request("GET", f"/repos/{repo}/pulls/{number}", access)
        files_path = f"/repos/{repo}/pulls/{number}/files"
        files = tuple(
            file_from_github(i) for i in self._pages(files_path, access, limit=FILES_LIMIT)
        )
        user = data.get("user") or {}
        pr = PullRequest(
            title=data.get("title") or "",
            body=data.get("body") or "",
            repo=repo,
            number=number,
            base_sha=data["base"]["sha"],
            head_sha=data["head"]["sha"],
            base_ref=data["base"].get("ref"),
            head_ref=data["head"].get("ref"),
            author=user.get("login"),
            author_is_bot=user.get("type") == "Bot",
            draft=bool(data.get("draft")),
            labels=tuple(str(label["name"]) for label in data.get("labels") or ()),
            files=files,
            github_file_limit_hit=int(data.get("changed_files") or 0) > len(files),
        )
        return FetchedPull(pr=pr, state=str(data.get("state")), html_url=str(data.get("html_url")))

    def fetch_file(self, repo: str, path: str, *, ref: str) -> str | None:
        """A file's text at `ref` (contents API), or None when there is no such file."""
        access = Access(f"read {path}", "contents: read", f"{path} in {repo}")
        try:
            _, data = self._request(
                "GET", f"/repos/{repo}/contents/{quote(path)}", access, params={"ref": ref}
            )
        except GitHubAccessError as exc:
            if exc.status == 404:
                return None
            raise
        if not isinstance(data, dict) or data.get("type") != "file":
            return None
        if data.get("encoding") != "base64":
            raise GitHubError(f"{path} at {ref[:7]} is too large to read through the API")
        return base64.b64decode(data.get("content") or "").decode("utf-8", errors="replace")

    def compare(self, repo: str, base: str, head: str) -> Comparison | None:
        """`base...head`, or None when GitHub no longer knows `base` (a force-push)."""
        access = Access("compare commits", "contents: read", f"{base[:7]}...{head[:7]} in {repo}")
        try:
            _, data = self._request("GET", f"/repos/{repo}/compare/{base}...{head}", access)
        except GitHubError as exc:
            if exc.status in (404, 422):
                return None
            raise
        files = tuple(file_from_github(item) for item in data.get("files") or ())
        return Comparison(
            status=str(data.get("status")),
            files=files,
            truncated=len(files) >= COMPARE_FILES_LIMIT,
        )

    def list_bot_reviews(self, repo: str, number: int) -> list[BotItem]:
        """Our reviews on the PR, oldest first."""
        access = Access("read pull request reviews", "pull-requests: read", f"{repo}#{number}")
        items = self._pages(f"/repos/{repo}/pulls/{number}/reviews", access)
        return [_item(r) for r in items if self._ours(r)]

    def list_bot_review_comments(self, repo: str, number: int) -> list[BotItem]:
        """Our inline review comments on the PR (resolved or not), every page."""
        access = Access("read review comments", "pull-requests: read", f"{repo}#{number}")
        items = self._pages(f"/repos/{repo}/pulls/{number}/comments", access)
        return [_item(c) for c in items if self._ours(c)]

    def list_bot_issue_comments(self, repo: str, number: int) -> list[BotItem]:
        access = Access("read issue comments", "issues: read", f"{repo}#{number}")
        items = self._pages(f"/repos/{repo}/issues/{number}/comments", access)
        return [_item(c) for c in items if self._ours(c)]

    # --- writes --------------------------------------------------------------------------

    def create_review(
        self,
        repo: str,
        number: int,
        *,
        commit_id: str,
        body: str,
        event: Event,
        comments: Sequence[Mapping[str, Any]],
    ) -> BotItem:
        """POST one submitted review. Never retried here: the caller checks what landed."""
        if event not in ("COMMENT", "REQUEST_CHANGES"):
            raise ValueError(f"refusing review event {event!r}")
        access = Access("write pull request reviews", "pull-requests: write", f"{repo}#{number}")
        payload = {
            "commit_id": commit_id,
            "body": body,
            "event": event,
            "comments": [dict(c) for c in comments],
        }
        _, data = self._request(
            "POST",
            f"/repos/{repo}/pulls/{number}/reviews",
            access,
            body=payload,
            retry_rate_limits=False,
        )
        return _item(data)

    def dismiss_review(self, repo: str, number: int, review_id: int, *, message: str) -> None:
        access = Access("dismiss pull request reviews", "pull-requests: write", f"{repo}#{number}")
        path = f"/repos/{repo}/pulls/{number}/reviews/{review_id}/dismissals"
        self._request("PUT", path, access, body={"message": message, "event": "DISMISS"})

    def create_check_run(
        self,
        repo: str,
        *,
        name: str,
        head_sha: str,
        conclusion: str,
        title: str,
        summary: str,
        annotations: Sequence[Mapping[str, Any]],
    ) -> str | None:
        """A completed check run; annotations go 50 per request (POST, then PATCHes)."""
        access = Access("write check runs", "checks: write", repo)
        batches = [
            list(annotations[i : i + ANNOTATIONS_PER_REQUEST])
            for i in range(0, len(annotations), ANNOTATIONS_PER_REQUEST)
        ] or [[]]
        output = {"title": title, "summary": summary, "annotations": batches[0]}
        payload = {
            "name": name,
            "head_sha": head_sha,
            "status": "completed",
            "conclusion": conclusion,
            "output": output,
        }
        _, data = self._request("POST", f"/repos/{repo}/check-runs", access, body=payload)
        for batch in batches[1:]:
            more = {"output": {"title": title, "summary": summary, "annotations": batch}}
            self._request("PATCH", f"/repos/{repo}/check-runs/{data['id']}", access, body=more)
        return str(data["html_url"]) if data.get("html_url") else None

    def create_issue_comment(self, repo: str, number: int, body: str) -> str | None:
        access = Access(
            "write pull request comments", "pull-requests: write (or issues: write)", repo
        )
        path = f"/repos/{repo}/issues/{number}/comments"
        _, data = self._request("POST", path, access, body={"body": body})
        return data.get("html_url") if isinstance(data, dict) else None


def _item(data: Mapping[str, Any]) -> BotItem:
    return BotItem(
        id=int(data["id"]),
        body=data.get("body") or "",
        author=str((data.get("user") or {}).get("login") or ""),
        state=str(data.get("state") or ""),
        commit_id=data.get("commit_id"),
        html_url=data.get("html_url"),
    )
