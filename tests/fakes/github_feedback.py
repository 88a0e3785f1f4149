"""What the fake GitHub knows about feedback: reactions, collaborators' permissions, and the
repository-wide review-comment listing (sort, direction, since, pages).

Endpoints are routed from `github_routes`; tests set the state up with the functions below.
GitHub's rules mirrored here: the repository listing holds every submitted review comment of
every PR, `since` filters by last update, `sort`/`direction` order it (ascending ids without
`sort`); each comment carries a `reactions` rollup; the permission endpoint answers 404 for
someone who is not a collaborator and reports `maintain` as `write`, `triage` as `read`.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from . import github_reviews
from .github_http import RecordedRequest, Reply
from .github_state import DOCS, ApiError, now_iso

if TYPE_CHECKING:
    from .github import FakeGitHub

REACTIONS = ("+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes")
# GitHub's legacy base permission for each role.
BASE_PERMISSION = {
    "admin": "admin",
    "maintain": "write",
    "write": "write",
    "triage": "read",
    "read": "read",
}


# --- setting up state -------------------------------------------------------------------------


def react(fake: FakeGitHub, repo: str, comment_id: int, content: str, login: str) -> None:
    """`login` (a User, or a Bot when it ends in `[bot]`) reacts to a review comment."""
    assert content in REACTIONS, content
    fake.state.review_comment(repo, comment_id)
    kind = "Bot" if login.endswith("[bot]") else "User"
    rid = fake.state.next_id()
    reaction = {
        "id": rid,
        "node_id": f"REA_{rid}",
        "user": fake.state.user_json(login, kind),
        "content": content,
        "created_at": now_iso(),
    }
    fake.state.repo(repo).reactions.setdefault(comment_id, []).append(reaction)


def set_role(fake: FakeGitHub, repo: str, login: str, role: str) -> None:
    """Make `login` a collaborator with `role` (admin, maintain, write, triage, read)."""
    assert role in BASE_PERMISSION, role
    fake.state.repo(repo).roles[login] = role


def age_comment(fake: FakeGitHub, repo: str, comment_id: int, days: float) -> None:
    """Pretend the comment was created (and last updated) `days` ago."""
    when = (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    fake.state.review_comment(repo, comment_id).update(created_at=when, updated_at=when)


def make_outdated(fake: FakeGitHub, repo: str, comment_id: int) -> None:
    """A later push changed the commented line: GitHub nulls `line` and `position`."""
    fake.state.review_comment(repo, comment_id).update(line=None, position=None, start_line=None)


# --- endpoints ----------------------------------------------------------------------------


def list_repo_review_comments(fake: FakeGitHub, request: RecordedRequest, repo: str) -> Reply:
    """`GET /repos/{o}/{r}/pulls/comments`: every PR's submitted review comments."""
    state = fake.state.repo(repo)
    comments = [
        c
        for number in state.review_comments
        for c in github_reviews.visible_review_comments(fake.state, repo, number)
    ]
    since = request.query.get("since")
    if since:
        comments = [c for c in comments if c["updated_at"] >= since]
    sort = request.query.get("sort")
    if sort in ("created", "created_at", "updated"):
        key = "updated_at" if sort == "updated" else "created_at"
        descending = request.query.get("direction", "desc") == "desc"
        comments.sort(key=lambda c: (c[key], c["id"]), reverse=descending)
    else:
        comments.sort(key=lambda c: c["id"])
    return fake.paginate(request, [_with_reactions(fake, repo, c) for c in comments])


def list_comment_reactions(
    fake: FakeGitHub, request: RecordedRequest, repo: str, cid: str
) -> Reply:
    fake.state.review_comment(repo, int(cid))
    return fake.paginate(request, fake.state.repo(repo).reactions.get(int(cid), []))


def get_permission(fake: FakeGitHub, request: RecordedRequest, repo: str, login: str) -> Reply:
    role = fake.state.repo(repo).roles.get(login)
    if role is None:
        raise ApiError(404, {"message": f"{login} is not a user", "documentation_url": DOCS})
    user = fake.state.user_json(login)
    return Reply(200, {"permission": BASE_PERMISSION[role], "role_name": role, "user": user})


def _with_reactions(fake: FakeGitHub, repo: str, comment: dict[str, Any]) -> dict[str, Any]:
    reactions = fake.state.repo(repo).reactions.get(comment["id"], [])
    rollup: dict[str, Any] = {"url": comment["url"] + "/reactions", "total_count": len(reactions)}
    rollup.update({name: sum(r["content"] == name for r in reactions) for name in REACTIONS})
    return {**copy.deepcopy(comment), "reactions": rollup}
