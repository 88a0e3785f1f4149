"""What the fake GitHub knows (repos, PRs, comments, files) and the JSON GitHub answers with.

No HTTP here. Stored objects are plain dicts already shaped like GitHub's JSON, so what a test
reads back is what the client was sent. A refusal is an `ApiError` carrying GitHub's status and
body; nothing is stored when one is raised.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .github_diff import count_patch_lines

BODY_LIMIT = 65536
BODY_TOO_LONG = "Body is too long (maximum is 65536 characters)"
DOCS = "https://docs.github.com/rest"
CONTENTS_LIMIT = 1024 * 1024  # bytes the contents API returns inline


class ApiError(Exception):
    """An answer other than success: GitHub's status and JSON body."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        super().__init__(status, body)
        self.status, self.body, self.headers = status, body, headers or {}


def not_found() -> ApiError:
    return ApiError(404, {"message": "Not Found", "documentation_url": DOCS})


def unprocessable(*errors: Any, message: str = "Unprocessable Entity") -> ApiError:
    body: dict[str, Any] = {"message": message, "documentation_url": DOCS}
    if errors:
        body["errors"] = list(errors)
    return ApiError(422, body)


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Pull:
    number: int
    title: str
    body: str | None
    base_sha: str
    head_sha: str
    base_ref: str
    head_ref: str
    draft: bool
    labels: list[str]
    author: str
    author_type: str
    files: list[dict[str, Any]]
    state: str
    head_repo_full_name: str | None
    heads_seen: list[str] = field(default_factory=list)
    created_at: str = field(default_factory=now_iso)


@dataclass
class Repo:
    full_name: str
    default_branch: str
    installation_id: int
    pulls: dict[int, Pull] = field(default_factory=dict)
    contents: dict[tuple[str, str], bytes] = field(default_factory=dict)
    compares: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    commits: dict[str, list[str]] = field(default_factory=dict)  # sha -> parent shas
    check_runs: dict[int, dict[str, Any]] = field(default_factory=dict)
    reviews: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    review_comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    issue_comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    reactions: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # by comment id
    issue_reactions: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # the same
    roles: dict[str, str] = field(default_factory=dict)  # collaborator login -> role


class GitHubState:
    """All objects of the fake, as plain dicts shaped like GitHub's JSON."""

    def __init__(self, base_url: str, bot_login: str) -> None:
        self.base_url = base_url
        self.bot_login = bot_login
        self.repos: dict[str, Repo] = {}
        self._ids = itertools.count(1001)

    def next_id(self) -> int:
        return next(self._ids)

    # -- lookups and small JSON pieces -------------------------------------------------------

    def repo(self, full_name: str) -> Repo:
        if full_name not in self.repos:
            raise not_found()
        return self.repos[full_name]

    def pull(self, full_name: str, number: int) -> Pull:
        pulls = self.repo(full_name).pulls
        if number not in pulls:
            raise not_found()
        return pulls[number]

    def user_json(self, login: str, kind: str = "User") -> dict[str, Any]:
        uid = int(hashlib.sha1(login.encode()).hexdigest()[:7], 16)
        return {
            "login": login,
            "id": uid,
            "node_id": f"U_{uid}",
            "type": kind,
            "site_admin": False,
            "url": f"{self.base_url}/users/{login}",
            "html_url": f"https://github.com/{login}",
        }

    def bot_json(self) -> dict[str, Any]:
        """Who writes: an App ("name[bot]"), or the user of a personal token (any other login)."""
        kind = "Bot" if self.bot_login.endswith("[bot]") else "User"
        return self.user_json(self.bot_login, kind)

    def repo_json(self, full_name: str, *, fork: bool = False) -> dict[str, Any]:
        repo = self.repos.get(full_name)
        rid = int(hashlib.sha1(full_name.encode()).hexdigest()[:7], 16)
        url = f"{self.base_url}/repos/{full_name}"
        return {
            "id": rid,
            "node_id": f"R_{rid}",
            "name": full_name.split("/")[1],
            "full_name": full_name,
            "owner": self.user_json(full_name.split("/")[0]),
            "private": False,
            "fork": fork,
            "default_branch": repo.default_branch if repo else "main",
            "url": url,
            "html_url": f"https://github.com/{full_name}",
            "pulls_url": url + "/pulls{/number}",
        }

    def file_json(self, full_name: str, ref: str, entry: dict[str, Any]) -> dict[str, Any]:
        added, removed = count_patch_lines(entry.get("patch"))
        repo_url = f"{self.base_url}/repos/{full_name}"
        out = {
            "sha": hashlib.sha1(repr(entry).encode()).hexdigest(),
            "status": "modified",
            "additions": added,
            "deletions": removed,
            "changes": entry.get("additions", added) + entry.get("deletions", removed),
            "blob_url": f"https://github.com/{full_name}/blob/{ref}/{entry['filename']}",
            "raw_url": f"https://github.com/{full_name}/raw/{ref}/{entry['filename']}",
            "contents_url": f"{repo_url}/contents/{entry['filename']}?ref={ref}",
        }
        out.update(entry)
        return out

    def commit_json(self, full_name: str, sha: str) -> dict[str, Any]:
        url = f"{self.base_url}/repos/{full_name}/commits/{sha}"
        parents = self.repo(full_name).commits.get(sha, [])
        person = {"name": "Fake", "email": "fake@example.com", "date": now_iso()}
        return {
            "sha": sha,
            "node_id": f"C_{sha}",
            "url": url,
            "html_url": f"https://github.com/{full_name}/commit/{sha}",
            "commit": {"message": f"commit {sha}", "author": person, "committer": person},
            "author": None,
            "committer": None,
            "parents": [
                {"sha": p, "url": f"{self.base_url}/repos/{full_name}/commits/{p}"} for p in parents
            ],
        }

    # -- pull requests -----------------------------------------------------------------------

    def pull_json(self, full_name: str, pull: Pull) -> dict[str, Any]:
        url = f"{self.base_url}/repos/{full_name}/pulls/{pull.number}"
        issue_url = f"{self.base_url}/repos/{full_name}/issues/{pull.number}"
        head_repo = pull.head_repo_full_name or full_name
        files = pull.files
        return {
            "id": pull.number + 100000,
            "node_id": f"PR_{pull.number}",
            "number": pull.number,
            "url": url,
            "html_url": f"https://github.com/{full_name}/pull/{pull.number}",
            "diff_url": f"https://github.com/{full_name}/pull/{pull.number}.diff",
            "patch_url": f"https://github.com/{full_name}/pull/{pull.number}.patch",
            "issue_url": issue_url,
            "comments_url": issue_url + "/comments",
            "review_comments_url": url + "/comments",
            "commits_url": url + "/commits",
            "state": pull.state,
            "locked": False,
            "title": pull.title,
            "body": pull.body,
            "draft": pull.draft,
            "user": self.user_json(pull.author, pull.author_type),
            "labels": [
                {"id": i + 1, "name": n, "color": "ededed", "default": False}
                for i, n in enumerate(pull.labels)
            ],
            "head": self._part_json(
                head_repo, pull.head_ref, pull.head_sha, fork=head_repo != full_name
            ),
            "base": self._part_json(full_name, pull.base_ref, pull.base_sha, fork=False),
            "author_association": "CONTRIBUTOR",
            "merged": False,
            "mergeable": None,
            "merge_commit_sha": None,
            "created_at": pull.created_at,
            "updated_at": pull.created_at,
            "closed_at": None if pull.state == "open" else pull.created_at,
            "merged_at": None,
            "commits": len(pull.heads_seen),
            "additions": sum(
                self.file_json(full_name, pull.head_sha, f)["additions"] for f in files
            ),
            "deletions": sum(
                self.file_json(full_name, pull.head_sha, f)["deletions"] for f in files
            ),
            "changed_files": len(files),
        }

    def _part_json(self, full_name: str, ref: str, sha: str, *, fork: bool) -> dict[str, Any]:
        owner = full_name.split("/")[0]
        return {
            "label": f"{owner}:{ref}",
            "ref": ref,
            "sha": sha,
            "user": self.user_json(owner),
            "repo": self.repo_json(full_name, fork=fork),
        }

    # -- issue comments, contents, comparisons --------------------------------------------

    def add_issue_comment(
        self, full_name: str, number: int, body: str, user: dict[str, Any], association: str
    ) -> dict[str, Any]:
        self.pull(full_name, number)
        _check_comment_body(body)
        cid = self.next_id()
        comment = {
            "id": cid,
            "node_id": f"IC_{cid}",
            "url": f"{self.base_url}/repos/{full_name}/issues/comments/{cid}",
            "html_url": f"https://github.com/{full_name}/pull/{number}#issuecomment-{cid}",
            "issue_url": f"{self.base_url}/repos/{full_name}/issues/{number}",
            "body": body,
            "user": user,
            "created_at": now_iso(),
            "updated_at": now_iso(),
            "author_association": association,
        }
        self.repo(full_name).issue_comments.setdefault(number, []).append(comment)
        return comment

    def edit_issue_comment(self, full_name: str, comment_id: int, body: str) -> dict[str, Any]:
        _check_comment_body(body)
        comment = self.issue_comment(full_name, comment_id)
        comment.update(body=body, updated_at=now_iso())
        return comment

    def issue_comment(self, full_name: str, comment_id: int) -> dict[str, Any]:
        """One conversation comment of any PR of the repository, as stored (404 when none)."""
        return _by_id(self.repo(full_name).issue_comments, comment_id)

    def review_comment(self, full_name: str, comment_id: int) -> dict[str, Any]:
        """One review comment of any PR of the repository, as stored (404 when none)."""
        return _by_id(self.repo(full_name).review_comments, comment_id)

    def content_json(self, full_name: str, ref: str | None, path: str) -> dict[str, Any]:
        repo = self.repo(full_name)
        ref = ref or repo.default_branch
        data = repo.contents.get((ref, path))
        if data is None:
            raise not_found()
        # Past 1 MB GitHub sends no content through this media type: encoding "none".
        large = len(data) > CONTENTS_LIMIT
        encoded = base64.b64encode(data).decode()
        lines = "".join(encoded[i : i + 60] + "\n" for i in range(0, len(encoded), 60))
        url = f"{self.base_url}/repos/{full_name}/contents/{path}?ref={ref}"
        return {
            "type": "file",
            "encoding": "none" if large else "base64",
            "size": len(data),
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "content": "" if large else lines,
            "sha": hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest(),
            "url": url,
            "git_url": None,
            "html_url": f"https://github.com/{full_name}/blob/{ref}/{path}",
            "download_url": f"https://raw.githubusercontent.com/{full_name}/{ref}/{path}",
        }

    def compare_json(self, full_name: str, base: str, head: str) -> dict[str, Any]:
        spec = self.repo(full_name).compares.get((base, head))
        if spec is None:
            raise not_found()
        url = f"{self.base_url}/repos/{full_name}/compare/{base}...{head}"
        commits = [self.commit_json(full_name, sha) for sha in spec["commits"]]
        return {
            "url": url,
            "html_url": f"https://github.com/{full_name}/compare/{base}...{head}",
            "permalink_url": f"https://github.com/{full_name}/compare/{base}...{head}",
            "diff_url": f"https://github.com/{full_name}/compare/{base}...{head}.diff",
            "patch_url": f"https://github.com/{full_name}/compare/{base}...{head}.patch",
            "base_commit": self.commit_json(full_name, base),
            "merge_base_commit": self.commit_json(full_name, spec["merge_base"]),
            "status": spec["status"],
            "ahead_by": spec["ahead_by"],
            "behind_by": spec["behind_by"],
            "total_commits": len(commits),
            "commits": commits,
            # GitHub lists at most 300 files in a comparison.
            "files": [self.file_json(full_name, head, f) for f in spec["files"][:300]],
        }


def _by_id(by_pull: dict[int, list[dict[str, Any]]], item_id: int) -> dict[str, Any]:
    for items in by_pull.values():
        for item in items:
            if item["id"] == item_id:
                return item
    raise not_found()


def _check_comment_body(body: str) -> None:
    """Too long: GitHub's "Validation Failed" shape (this wording is unconfirmed)."""
    if len(body) > BODY_LIMIT:
        error = {"resource": "IssueComment", "code": "custom", "field": "body"}
        raise unprocessable({**error, "message": BODY_TOO_LONG}, message="Validation Failed")
