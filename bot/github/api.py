"""The GitHub adapter: the few calls the reviewer makes, in our models and plain data.

Only bot.github imports PyGithub: auth.py connects, transport.py retries, spaces and
translates errors, data.py holds the values.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from bot.errors import GitHubAccessError, GitHubError
from bot.github.auth import connect_installation, connect_token
from bot.github.comments import CommentCalls
from bot.github.data import (
    Access,
    BotItem,
    Comparison,
    Event,
    FetchedPull,
    GitTree,
    Reaction,
    file_from_github,
    item_from_github,
    pull_from_github,
    tree_from_github,
)
from bot.github.transport import GitHubTransport
from bot.settings import Settings

FILES_LIMIT = 3000  # GET /pulls/{n}/files lists no more
COMPARE_FILES_LIMIT = 300  # GET /compare lists no more
ANNOTATIONS_PER_REQUEST = 50


class GitHubClient(CommentCalls):
    """The few GitHub calls the reviewer makes, with our retry, spacing and error rules.

    The conversation calls (one comment, a thread, a reply in it) are in bot.github.comments.
    """

    def __init__(self, http: GitHubTransport) -> None:
        self._http = http

    @classmethod
    def from_token(cls, settings: Settings, *, token: str | None = None) -> GitHubClient:
        """A client for `token` (default settings.github_token); anonymous without one."""
        gh, credential = connect_token(settings, token=token)
        return cls(GitHubTransport(gh, settings, credential=credential))

    @classmethod
    def for_installation(cls, settings: Settings, installation_id: int) -> GitHubClient:
        """A client acting as one App installation; PyGithub refreshes its 1-hour token."""
        gh = connect_installation(settings, installation_id)
        return cls(GitHubTransport(gh, settings, credential="app"))

    # --- reads ---------------------------------------------------------------------------

    def fetch_pull_request(self, repo: str, number: int) -> FetchedPull:
        """The PR's metadata and files (up to GitHub's 3,000), as a PullRequest."""
        access = Access("read the pull request", "pull-requests: read", f"{repo}#{number}")
        _, data = self._http.request("GET", f"/repos/{repo}/pulls/{number}", access)
        files_path = f"/repos/{repo}/pulls/{number}/files"
        files = tuple(
            file_from_github(i) for i in self._http.pages(files_path, access, limit=FILES_LIMIT)
        )
        return pull_from_github(data, repo=repo, number=number, files=files)

    def fetch_file(self, repo: str, path: str, *, ref: str) -> str | None:
        """A file's text at `ref` (contents API), or None when there is no such file."""
        access = Access(f"read {path}", "contents: read", f"{path} in {repo}")
        try:
            _, data = self._http.request(
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
            _, data = self._http.request("GET", f"/repos/{repo}/compare/{base}...{head}", access)
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

    def fetch_tree(self, repo: str, sha: str) -> GitTree:
        """Every regular file of commit `sha`, with sizes: one request (`recursive=1`)."""
        access = Access("read the repository's files", "contents: read", f"{sha[:7]} in {repo}")
        path = f"/repos/{repo}/git/trees/{quote(sha, safe='')}"
        _, data = self._http.request("GET", path, access, params={"recursive": "1"})
        return tree_from_github(data if isinstance(data, dict) else {})

    def fetch_blob(self, repo: str, sha: str) -> bytes:
        """One file's bytes by blob SHA (`GET /git/blobs/{sha}`, base64 in JSON)."""
        access = Access(
            "read the repository's files", "contents: read", f"blob {sha[:7]} in {repo}"
        )
        _, data = self._http.request(
            "GET", f"/repos/{repo}/git/blobs/{quote(sha, safe='')}", access
        )
        if not isinstance(data, dict) or data.get("encoding") != "base64":
            raise GitHubError(f"blob {sha[:7]} in {repo}: GitHub sent no base64 content")
        return base64.b64decode(data.get("content") or "")

    def archive_url(self, repo: str, sha: str) -> str:
        """Where to download the tarball of commit `sha`: GitHub answers `GET /tarball/{sha}`
        with a 302 to a short-lived URL that needs no token (codeload)."""
        access = Access("download the repository", "contents: read", f"{sha[:7]} in {repo}")
        path = f"/repos/{repo}/tarball/{quote(sha, safe='')}"
        headers, _ = self._http.request("GET", path, access)
        location = {k.lower(): v for k, v in headers.items()}.get("location")
        if not location:
            raise GitHubError(f"GitHub gave no download address for {repo} at {sha[:7]}")
        return str(location)

    def list_bot_reviews(self, repo: str, number: int) -> list[BotItem]:
        """Our reviews on the PR, oldest first."""
        access = Access("read pull request reviews", "pull-requests: read", f"{repo}#{number}")
        items = self._http.pages(f"/repos/{repo}/pulls/{number}/reviews", access)
        return [item_from_github(r) for r in items if self._http.is_ours(r)]

    def list_bot_review_comments(self, repo: str, number: int) -> list[BotItem]:
        """Our inline review comments on the PR (resolved or not), every page."""
        access = Access("read review comments", "pull-requests: read", f"{repo}#{number}")
        items = self._http.pages(f"/repos/{repo}/pulls/{number}/comments", access)
        return [item_from_github(c) for c in items if self._http.is_ours(c)]

    def list_bot_issue_comments(self, repo: str, number: int) -> list[BotItem]:
        access = Access("read issue comments", "issues: read", f"{repo}#{number}")
        items = self._http.pages(f"/repos/{repo}/issues/{number}/comments", access)
        return [item_from_github(c) for c in items if self._http.is_ours(c)]

    # --- feedback on earlier comments (bot.github.feedback) --------------------------------

    def review_comments_since(
        self, repo: str, *, since: str, max_pages: int
    ) -> Iterator[dict[str, Any]]:
        """Every PR's review comments, newest first, updated since `since` (ISO 8601): raw
        JSON, lazily, at most `max_pages` requests."""
        access = Access("read review comments", "pull-requests: read", repo)
        params = {"sort": "created", "direction": "desc", "since": since}
        path = f"/repos/{repo}/pulls/comments"
        return self._http.pages(path, access, params=params, max_pages=max_pages)

    def is_ours(self, item: Mapping[str, Any]) -> bool:
        """A comment the bot wrote (our marker, by a Bot or the token's own user)."""
        return self._http.is_ours(item)

    def comment_reactions(self, repo: str, comment_id: int) -> list[Reaction]:
        """Who reacted how to one review comment (the first 100 reactions: one request)."""
        access = Access("read reactions", "pull-requests: read", f"comment {comment_id} in {repo}")
        path = f"/repos/{repo}/pulls/comments/{comment_id}/reactions"
        return [
            Reaction(
                login=str((r.get("user") or {}).get("login") or ""),
                is_bot=(r.get("user") or {}).get("type") == "Bot",
                content=str(r.get("content") or ""),
            )
            for r in self._http.pages(path, access, max_pages=1)
        ]

    def repository_permission(self, repo: str, login: str) -> str:
        """`admin`, `write`, `read` or `none` (GitHub maps maintain to write, triage to read);
        someone who is not a collaborator (GitHub answers 404) has `none`."""
        access = Access("read collaborator permissions", "metadata: read", f"{login} in {repo}")
        path = f"/repos/{repo}/collaborators/{quote(login, safe='')}/permission"
        try:
            _, data = self._http.request("GET", path, access)
        except GitHubAccessError as exc:
            if exc.status == 404:
                return "none"
            raise
        return str(data.get("permission") or "none") if isinstance(data, dict) else "none"

    def head_sha(self, repo: str, number: int) -> str:
        """The PR's current head commit (one request; no files)."""
        access = Access("read the pull request", "pull-requests: read", f"{repo}#{number}")
        _, data = self._http.request("GET", f"/repos/{repo}/pulls/{number}", access)
        return str(data["head"]["sha"])

    @property
    def requests_sent(self) -> int:
        """HTTP requests this client sent so far (retries included)."""
        return self._http.requests_sent

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
        _, data = self._http.request(
            "POST",
            f"/repos/{repo}/pulls/{number}/reviews",
            access,
            body=payload,
            retry_rate_limits=False,
        )
        return item_from_github(data)

    def dismiss_review(self, repo: str, number: int, review_id: int, *, message: str) -> None:
        access = Access("dismiss pull request reviews", "pull-requests: write", f"{repo}#{number}")
        path = f"/repos/{repo}/pulls/{number}/reviews/{review_id}/dismissals"
        self._http.request("PUT", path, access, body={"message": message, "event": "DISMISS"})

    def start_check_run(
        self,
        repo: str,
        *,
        name: str,
        head_sha: str,
        title: str,
        summary: str,
        external_id: str | None = None,
    ) -> int:
        """An `in_progress` check run (completed later by create_check_run with `run_id`)."""
        access = Access("write check runs", "checks: write", repo)
        payload: dict[str, Any] = {
            "name": name,
            "head_sha": head_sha,
            "status": "in_progress",
            "output": {"title": title, "summary": summary},
        }
        if external_id is not None:
            payload["external_id"] = external_id
        _, data = self._http.request("POST", f"/repos/{repo}/check-runs", access, body=payload)
        return int(data["id"])

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
        run_id: int | None = None,
        external_id: str | None = None,
    ) -> str | None:
        """A completed check run: a new one, or `run_id` (started earlier) completed.
        Annotations go 50 per request (the first with the conclusion, then PATCHes)."""
        access = Access("write check runs", "checks: write", repo)
        batches = [
            list(annotations[i : i + ANNOTATIONS_PER_REQUEST])
            for i in range(0, len(annotations), ANNOTATIONS_PER_REQUEST)
        ] or [[]]
        output = {"title": title, "summary": summary, "annotations": batches[0]}
        payload: dict[str, Any] = {
            "status": "completed",
            "conclusion": conclusion,
            "output": output,
        }
        if run_id is None:
            payload = {"name": name, "head_sha": head_sha, **payload}
            if external_id is not None:
                payload["external_id"] = external_id
            _, data = self._http.request("POST", f"/repos/{repo}/check-runs", access, body=payload)
        else:
            path = f"/repos/{repo}/check-runs/{run_id}"
            _, data = self._http.request("PATCH", path, access, body=payload)
        for batch in batches[1:]:
            more = {"output": {"title": title, "summary": summary, "annotations": batch}}
            self._http.request("PATCH", f"/repos/{repo}/check-runs/{data['id']}", access, body=more)
        return str(data["html_url"]) if data.get("html_url") else None

    def create_issue_comment(self, repo: str, number: int, body: str) -> str | None:
        access = Access(
            "write pull request comments", "pull-requests: write (or issues: write)", repo
        )
        path = f"/repos/{repo}/issues/{number}/comments"
        _, data = self._http.request("POST", path, access, body={"body": body})
        return data.get("html_url") if isinstance(data, dict) else None
