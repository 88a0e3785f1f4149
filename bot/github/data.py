"""The GitHub adapter's plain values, and GitHub's JSON entries as our models (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from bot.context.snapshot import safe_path
from bot.diff.parse import parse_file_patch
from bot.errors import DiffError, GitHubError
from bot.models import FileDiff, FileStatus, PullRequest

Event = Literal["COMMENT", "REQUEST_CHANGES"]  # never APPROVE
_STATUS: dict[str, FileStatus] = {
    "added": "added",
    "removed": "deleted",
    "renamed": "renamed",
    "copied": "copied",
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
class GitTree:
    """A commit's regular files (path -> blob SHA and size) from the git trees API."""

    files: dict[str, tuple[str, int]]
    truncated: bool  # GitHub lists at most 100,000 entries (7 MB) of a recursive tree


@dataclass(frozen=True)
class Reaction:
    """One reaction to a comment: who (and whether a bot) and which one (`+1`, `-1`, ...)."""

    login: str
    is_bot: bool
    content: str


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


def tree_from_github(data: Mapping[str, Any]) -> GitTree:
    """`GET /git/trees/{sha}?recursive=1` as regular files; links, submodules, directories
    and paths that could leave the repository are left out."""
    files: dict[str, tuple[str, int]] = {}
    for item in data.get("tree") or ():
        path, mode = str(item.get("path") or ""), item.get("mode")
        if item.get("type") != "blob" or mode not in ("100644", "100755"):
            continue
        if safe_path(path) == path and isinstance(item.get("size"), int):
            files[path] = (str(item.get("sha")), int(item["size"]))
    return GitTree(files=files, truncated=bool(data.get("truncated")))


def item_from_github(data: Mapping[str, Any]) -> BotItem:
    """A review or comment from GitHub's JSON."""
    return BotItem(
        id=int(data["id"]),
        body=data.get("body") or "",
        author=str((data.get("user") or {}).get("login") or ""),
        state=str(data.get("state") or ""),
        commit_id=data.get("commit_id"),
        html_url=data.get("html_url"),
    )


def pull_from_github(
    data: Mapping[str, Any], *, repo: str, number: int, files: tuple[FileDiff, ...]
) -> FetchedPull:
    """`GET /pulls/{n}` and its listed files as a PullRequest, with its state and link."""
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
