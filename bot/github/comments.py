"""The adapter's calls for conversations: one comment, a review thread, a reply in it.

A part of GitHubClient (bot.github.api), kept apart so each module stays small; it uses the
same transport, so the retry, spacing and error rules are the client's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.errors import GitHubAccessError, GitHubError
from bot.github.data import Access, Comment, comment_from_github

if TYPE_CHECKING:
    from bot.github.transport import GitHubTransport


class CommentCalls:
    """Reading comments and answering in a review thread."""

    _http: GitHubTransport

    def fetch_issue_comment(self, repo: str, comment_id: int) -> Comment | None:
        """One comment of a PR's conversation; None when it is gone (deleted)."""
        access = Access("read issue comments", "issues: read", f"comment {comment_id} in {repo}")
        return self._one(f"/repos/{repo}/issues/comments/{int(comment_id)}", access)

    def fetch_review_comment(self, repo: str, comment_id: int) -> Comment | None:
        """One inline review comment; None when it is gone (deleted)."""
        access = Access(
            "read review comments", "pull-requests: read", f"comment {comment_id} in {repo}"
        )
        return self._one(f"/repos/{repo}/pulls/comments/{int(comment_id)}", access)

    def list_review_comments(self, repo: str, number: int) -> list[Comment]:
        """Every inline review comment of the PR, everyone's, oldest first (every page)."""
        access = Access("read review comments", "pull-requests: read", f"{repo}#{number}")
        items = self._http.pages(f"/repos/{repo}/pulls/{number}/comments", access)
        return [comment_from_github(c, ours=self._http.is_ours(c)) for c in items]

    def acknowledge(self, repo: str, comment_id: int) -> bool:
        """React 👀 to conversation comment `comment_id` (a `/review` or `/ask` being worked
        on). GitHub keeps one reaction per person and kind, so doing it again changes nothing.
        False when GitHub refused (a read-only token, a deleted comment): the work goes on."""
        access = Access(
            "react to comments", "pull-requests: write", f"comment {comment_id} in {repo}"
        )
        path = f"/repos/{repo}/issues/comments/{int(comment_id)}/reactions"
        try:
            self._http.request("POST", path, access, body={"content": "eyes"})
        except GitHubError:
            return False
        return True

    def reply_in_thread(self, repo: str, number: int, comment_id: int, body: str) -> str | None:
        """Answer in the thread of review comment `comment_id` (its first comment); the
        reply's web address. Not retried: the caller looks for it before trying again."""
        access = Access("write review comments", "pull-requests: write", f"{repo}#{number}")
        path = f"/repos/{repo}/pulls/{number}/comments/{int(comment_id)}/replies"
        _, data = self._http.request("POST", path, access, body={"body": body})
        return data.get("html_url") if isinstance(data, dict) else None

    def _one(self, path: str, access: Access) -> Comment | None:
        try:
            _, data = self._http.request("GET", path, access)
        except GitHubAccessError as exc:
            if exc.status == 404:
                return None
            raise
        if not isinstance(data, dict) or not isinstance(data.get("id"), int):
            return None
        return comment_from_github(data, ours=self._http.is_ours(data))
