"""The endpoints the fake GitHub serves: one function per route, `(fake, request, **groups)`.

An endpoint returns a `Reply` or raises `ApiError`; authentication, injected failures and
recording happen before and after, in `github.py`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from . import github_checks, github_feedback, github_git, github_reviews, github_talk
from .github_diff import render_file_diff
from .github_http import RecordedRequest, Reply
from .github_state import DOCS, ApiError, not_found

if TYPE_CHECKING:
    from .github import FakeGitHub

FILES_CAP = 3000  # GET /pulls/{n}/files never lists more
DIFF_MAX_FILES, DIFF_MAX_LINES = 300, 20000
INSTALLATION_PERMISSIONS = {"pull_requests": "write", "contents": "read", "checks": "write"}


Endpoint = Callable[..., Reply]


def rate_limit(fake: FakeGitHub, request: RecordedRequest) -> Reply:
    core = {"limit": 5000, "remaining": 4999, "reset": int(time.time()) + 3600, "used": 1}
    resources = {"core": core, "search": core, "graphql": core}
    return Reply(200, {"resources": resources, "rate": core})


def get_user(fake: FakeGitHub, request: RecordedRequest) -> Reply:
    """The token's own user; an App's installation token may not ask (GitHub answers 403)."""
    user = fake.state.bot_json()
    if user["type"] == "Bot":
        message = "Resource not accessible by integration"
        raise ApiError(403, {"message": message, "documentation_url": DOCS})
    return Reply(200, user)


def get_installation(fake: FakeGitHub, request: RecordedRequest, iid: str) -> Reply:
    repos = [r for r in fake.state.repos.values() if r.installation_id == int(iid)]
    if not repos:
        raise not_found()
    return Reply(200, _installation_json(fake, int(iid), repos[0].full_name.split("/")[0]))


def create_token(fake: FakeGitHub, request: RecordedRequest, iid: str) -> Reply:
    """An installation token, valid (as "write") for one hour like GitHub's."""
    get_installation(fake, request, iid)
    token = f"ghs_inst_{iid}"
    fake.tokens[token] = "write"
    expires = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Reply(
        201,
        {
            "token": token,
            "expires_at": expires,
            "permissions": INSTALLATION_PERMISSIONS,
            "repository_selection": "all",
        },
    )


def repo_installation(fake: FakeGitHub, request: RecordedRequest, repo: str) -> Reply:
    iid = fake.state.repo(repo).installation_id
    return Reply(200, _installation_json(fake, iid, repo.split("/")[0]))


def get_repo(fake: FakeGitHub, request: RecordedRequest, repo: str) -> Reply:
    fake.state.repo(repo)
    return Reply(200, fake.state.repo_json(repo))


def get_pull(fake: FakeGitHub, request: RecordedRequest, repo: str, number: str) -> Reply:
    """The PR as JSON, or its whole diff for `Accept: application/vnd.github.diff`."""
    pull = fake.state.pull(repo, int(number))
    if "diff" not in request.headers.get("accept", ""):
        return Reply(200, fake.state.pull_json(repo, pull))
    sections = [render_file_diff(f) for f in pull.files]
    too_large = "files (300)" if len(pull.files) > DIFF_MAX_FILES else None
    if too_large is None and sum(s.count("\n") for s in sections) > DIFF_MAX_LINES:
        too_large = "lines (20000)"
    if too_large:
        message = (
            f"Sorry, the diff exceeded the maximum number of {too_large}. Consider using "
            "'List pull requests files' API or locally cloning the repository instead."
        )
        errors = [{"resource": "PullRequest", "field": "diff", "code": "too_large"}]
        raise ApiError(406, {"message": message, "errors": errors, "documentation_url": DOCS})
    headers = {"Content-Type": "application/vnd.github.diff; charset=utf-8"}
    return Reply(200, "".join(sections), headers)


def list_files(fake: FakeGitHub, request: RecordedRequest, repo: str, number: str) -> Reply:
    pull = fake.state.pull(repo, int(number))
    files = [fake.state.file_json(repo, pull.head_sha, f) for f in pull.files[:FILES_CAP]]
    return fake.paginate(request, files)


def list_reviews(fake: FakeGitHub, request: RecordedRequest, repo: str, number: str) -> Reply:
    fake.state.pull(repo, int(number))
    return fake.paginate(request, fake.state.repo(repo).reviews.get(int(number), []))


def create_review(fake: FakeGitHub, request: RecordedRequest, repo: str, number: str) -> Reply:
    review = github_reviews.create_review(fake.state, repo, int(number), request.json or {})
    return Reply(200, review)


def get_review(
    fake: FakeGitHub, request: RecordedRequest, repo: str, number: str, rid: str
) -> Reply:
    return Reply(200, github_reviews.find_review(fake.state, repo, int(number), int(rid)))


def delete_review(
    fake: FakeGitHub, request: RecordedRequest, repo: str, number: str, rid: str
) -> Reply:
    review = github_reviews.delete_pending_review(fake.state, repo, int(number), int(rid))
    return Reply(200, review)


def dismiss_review(
    fake: FakeGitHub, request: RecordedRequest, repo: str, number: str, rid: str
) -> Reply:
    payload = request.json or {}
    review = github_reviews.dismiss_review(fake.state, repo, int(number), int(rid), payload)
    return Reply(200, review)


def list_review_comments(
    fake: FakeGitHub, request: RecordedRequest, repo: str, number: str
) -> Reply:
    comments = github_reviews.visible_review_comments(fake.state, repo, int(number))
    return fake.paginate(request, comments)


def list_issue_comments(
    fake: FakeGitHub, request: RecordedRequest, repo: str, number: str
) -> Reply:
    fake.state.pull(repo, int(number))
    return fake.paginate(request, fake.state.repo(repo).issue_comments.get(int(number), []))


def create_issue_comment(
    fake: FakeGitHub, request: RecordedRequest, repo: str, number: str
) -> Reply:
    body = (request.json or {}).get("body") or ""
    bot = fake.state.bot_json()
    return Reply(201, fake.state.add_issue_comment(repo, int(number), body, bot, "NONE"))


def edit_issue_comment(fake: FakeGitHub, request: RecordedRequest, repo: str, cid: str) -> Reply:
    body = (request.json or {}).get("body") or ""
    return Reply(200, fake.state.edit_issue_comment(repo, int(cid), body))


def create_check_run(fake: FakeGitHub, request: RecordedRequest, repo: str) -> Reply:
    return Reply(201, github_checks.save_check_run(fake.state, repo, request.json or {}))


def get_check_run(fake: FakeGitHub, request: RecordedRequest, repo: str, rid: str) -> Reply:
    run = fake.state.repo(repo).check_runs.get(int(rid))
    if run is None:
        raise not_found()
    return Reply(200, run["json"])


def update_check_run(fake: FakeGitHub, request: RecordedRequest, repo: str, rid: str) -> Reply:
    run = github_checks.save_check_run(fake.state, repo, request.json or {}, int(rid))
    return Reply(200, run)


def get_content(fake: FakeGitHub, request: RecordedRequest, repo: str, path: str) -> Reply:
    ref = request.query.get("ref")
    return Reply(200, fake.state.content_json(repo, ref, unquote(path)))


def compare(fake: FakeGitHub, request: RecordedRequest, repo: str, base: str, head: str) -> Reply:
    return Reply(200, fake.state.compare_json(repo, unquote(base), unquote(head)))


def get_commit(fake: FakeGitHub, request: RecordedRequest, repo: str, sha: str) -> Reply:
    if sha not in fake.state.repo(repo).commits:
        body = {"message": f"No commit found for SHA: {sha}", "documentation_url": DOCS}
        raise ApiError(422, body)
    return Reply(200, {**fake.state.commit_json(repo, sha), "files": []})


def _installation_json(fake: FakeGitHub, iid: int, owner: str) -> dict[str, Any]:
    return {
        "id": iid,
        "app_id": 1,
        "app_slug": fake.bot_login.removesuffix("[bot]"),
        "account": fake.state.user_json(owner, "Organization"),
        "target_type": "Organization",
        "access_tokens_url": f"{fake.url}/app/installations/{iid}/access_tokens",
        "repositories_url": f"{fake.url}/installation/repositories",
        "html_url": f"https://github.com/organizations/{owner}/settings/installations/{iid}",
        "permissions": INSTALLATION_PERMISSIONS,
        "events": ["pull_request", "issue_comment"],
        "repository_selection": "all",
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
    }


_REPO = r"/repos/(?P<repo>[^/]+/[^/]+)"
_PULL = _REPO + r"/pulls/(?P<number>\d+)"
_TABLE: list[tuple[str, str, Endpoint]] = [
    ("GET", r"/rate_limit", rate_limit),
    ("GET", r"/user", get_user),
    ("GET", r"/app/installations/(?P<iid>\d+)", get_installation),
    ("POST", r"/app/installations/(?P<iid>\d+)/access_tokens", create_token),
    ("GET", _REPO + r"/installation", repo_installation),
    ("GET", _REPO, get_repo),
    ("GET", _PULL, get_pull),
    ("GET", _PULL + r"/files", list_files),
    ("GET", _PULL + r"/reviews", list_reviews),
    ("POST", _PULL + r"/reviews", create_review),
    ("GET", _PULL + r"/reviews/(?P<rid>\d+)", get_review),
    ("DELETE", _PULL + r"/reviews/(?P<rid>\d+)", delete_review),
    ("PUT", _PULL + r"/reviews/(?P<rid>\d+)/dismissals", dismiss_review),
    ("GET", _PULL + r"/comments", list_review_comments),
    ("POST", _PULL + r"/comments/(?P<cid>\d+)/replies", github_talk.create_reply),
    ("GET", _REPO + r"/pulls/comments/(?P<cid>\d+)", github_talk.get_review_comment),
    ("GET", _REPO + r"/issues/comments/(?P<cid>\d+)", github_talk.get_issue_comment),
    (
        "POST",
        _REPO + r"/issues/comments/(?P<cid>\d+)/reactions",
        github_talk.react_to_issue_comment,
    ),
    ("GET", _REPO + r"/pulls/comments", github_feedback.list_repo_review_comments),
    (
        "GET",
        _REPO + r"/pulls/comments/(?P<cid>\d+)/reactions",
        github_feedback.list_comment_reactions,
    ),
    ("GET", _REPO + r"/collaborators/(?P<login>[^/]+)/permission", github_feedback.get_permission),
    ("GET", _REPO + r"/issues/(?P<number>\d+)/comments", list_issue_comments),
    ("POST", _REPO + r"/issues/(?P<number>\d+)/comments", create_issue_comment),
    ("PATCH", _REPO + r"/issues/comments/(?P<cid>\d+)", edit_issue_comment),
    ("POST", _REPO + r"/check-runs", create_check_run),
    ("GET", _REPO + r"/check-runs/(?P<rid>\d+)", get_check_run),
    ("PATCH", _REPO + r"/check-runs/(?P<rid>\d+)", update_check_run),
    ("GET", _REPO + r"/contents/(?P<path>.+)", get_content),
    ("GET", _REPO + r"/compare/(?P<base>.+?)\.\.\.(?P<head>.+)", compare),
    ("GET", _REPO + r"/commits/(?P<sha>[^/]+)", get_commit),
    ("GET", _REPO + r"/git/trees/(?P<sha>[^/]+)", github_git.get_tree),
    ("GET", _REPO + r"/git/blobs/(?P<sha>[^/]+)", github_git.get_blob),
    ("GET", _REPO + r"/tarball/(?P<ref>.+)", github_git.get_tarball),
    ("GET", r"/codeload/(?P<repo>[^/]+/[^/]+)/legacy\.tar\.gz/(?P<ref>.+)", github_git.codeload),
]
ROUTES: list[tuple[str, re.Pattern[str], Endpoint]] = [
    (method, re.compile(pattern + "$"), endpoint) for method, pattern, endpoint in _TABLE
]
# These authenticate as the App itself (a JWT), not with a token.
APP_ONLY = re.compile(r"^/app(/|$)|^/repos/[^/]+/[^/]+/installation$")
# Archive downloads carry their own short-lived token in the URL, like codeload's.
NO_AUTH = re.compile(r"^/codeload/")


def find_route(method: str, path: str) -> tuple[Endpoint, dict[str, str]]:
    for route_method, pattern, endpoint in ROUTES:
        match = pattern.match(path)
        if match and route_method == method:
            return endpoint, match.groupdict()
    raise not_found()
