"""What the fake GitHub knows about conversations: one comment by id, replies in review threads.

Endpoints are routed from `github_routes`; tests add people's replies with `add_reply`. GitHub's
rules mirrored here: a reply goes to a top-level review comment of the same pull request (a
reply to a reply is refused with 422, the wording unconfirmed) and is stored as the only comment
of a new review (COMMENTED, empty body) by the token's user, on the thread's path and line,
with `in_reply_to_id` naming the thread's first comment; every review comment has a
`diff_hunk`: its hunk of the file's patch, up to the commented line.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from . import github_reviews
from .github_feedback import REACTIONS
from .github_http import RecordedRequest, Reply
from .github_state import BODY_LIMIT, BODY_TOO_LONG, not_found, unprocessable

if TYPE_CHECKING:
    from .github import FakeGitHub


# --- setting up state -------------------------------------------------------------------------


def add_reply(
    fake: FakeGitHub,
    repo: str,
    number: int,
    in_reply_to: int,
    body: str,
    *,
    author: str = "alice",
    association: str = "MEMBER",
    author_type: str = "User",
) -> dict[str, Any]:
    """`author` replies in the thread of review comment `in_reply_to` (as GitHub stores it)."""
    user = fake.state.user_json(author, author_type)
    return copy.deepcopy(_store_reply(fake, repo, number, in_reply_to, body, user, association))


# --- endpoints ----------------------------------------------------------------------------


def get_issue_comment(fake: FakeGitHub, request: RecordedRequest, repo: str, cid: str) -> Reply:
    return Reply(200, fake.state.issue_comment(repo, int(cid)))


def react_to_issue_comment(
    fake: FakeGitHub, request: RecordedRequest, repo: str, cid: str
) -> Reply:
    """`POST /repos/{o}/{r}/issues/comments/{id}/reactions` by the token's user: 201 with the
    new reaction, or 200 with the one it already made of that kind (GitHub keeps one per
    person and kind); 422 for a kind GitHub does not have, 404 for no such comment."""
    content = (request.json or {}).get("content")
    if content not in REACTIONS:
        raise unprocessable(f"content {content!r} is not a reaction")
    fake.state.issue_comment(repo, int(cid))  # 404 when it is gone
    made = fake.state.repo(repo).issue_reactions.setdefault(int(cid), [])
    user = fake.state.bot_json()
    for reaction in made:
        if reaction["content"] == content and reaction["user"]["login"] == user["login"]:
            return Reply(200, reaction)
    rid = fake.state.next_id()
    reaction = {"id": rid, "node_id": f"REA_{rid}", "user": user, "content": content}
    made.append(reaction)
    return Reply(201, reaction)


def get_review_comment(fake: FakeGitHub, request: RecordedRequest, repo: str, cid: str) -> Reply:
    return Reply(200, fake.state.review_comment(repo, int(cid)))


def create_reply(
    fake: FakeGitHub, request: RecordedRequest, repo: str, number: str, cid: str
) -> Reply:
    """`POST /repos/{o}/{r}/pulls/{n}/comments/{id}/replies`, by the token's user."""
    body = (request.json or {}).get("body") or ""
    user = fake.state.bot_json()
    return Reply(201, _store_reply(fake, repo, int(number), int(cid), body, user, "NONE"))


def _store_reply(
    fake: FakeGitHub,
    repo: str,
    number: int,
    in_reply_to: int,
    body: str,
    user: dict[str, Any],
    association: str,
) -> dict[str, Any]:
    state = fake.state
    state.pull(repo, number)
    root = next(
        (c for c in state.repo(repo).review_comments.get(number, []) if c["id"] == in_reply_to),
        None,
    )
    if root is None:
        raise not_found()
    if root.get("in_reply_to_id") is not None:
        raise unprocessable("Replies to replies are not supported")
    if not body.strip():
        raise unprocessable("Body can't be blank")
    if len(body) > BODY_LIMIT:
        raise unprocessable(BODY_TOO_LONG)
    review = github_reviews.store_review(
        state, repo, number, body="", status="COMMENTED", commit_id=root["commit_id"], user=user
    )
    review["author_association"] = association
    comment = {
        "path": root["path"],
        "line": root["line"],
        "side": root["side"],
        "body": body,
        "in_reply_to_id": in_reply_to,
        "diff_hunk": root.get("diff_hunk", ""),
    }
    return github_reviews.store_review_comment(state, repo, number, review, comment)
