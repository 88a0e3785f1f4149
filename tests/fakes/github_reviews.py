"""Pull request reviews and their comments, with the rules GitHub applies when one is posted.

Everything is checked before anything is stored: one bad comment fails the whole review with 422
and leaves no trace, as on GitHub.
"""

from __future__ import annotations

from typing import Any

from .github_diff import comment_error, diff_hunk
from .github_state import (
    BODY_LIMIT,
    BODY_TOO_LONG,
    GitHubState,
    Pull,
    not_found,
    now_iso,
    unprocessable,
)

REVIEW_STATES = {
    "COMMENT": "COMMENTED",
    "REQUEST_CHANGES": "CHANGES_REQUESTED",
    "APPROVE": "APPROVED",
}


def create_review(
    state: GitHubState, full_name: str, number: int, payload: dict[str, Any]
) -> dict[str, Any]:
    """`POST .../pulls/{n}/reviews` by the bot; an absent `event` leaves the review PENDING."""
    pull = state.pull(full_name, number)
    event, body = payload.get("event"), payload.get("body") or ""
    commit_id = payload.get("commit_id") or pull.head_sha
    comments = payload.get("comments") or []
    _check_review(state, pull, full_name, event=event, body=body, commit_id=commit_id)
    _check_comments(pull, comments)
    status = REVIEW_STATES.get(event or "", "PENDING")
    review = store_review(state, full_name, number, body=body, status=status, commit_id=commit_id)
    for comment in comments:
        store_review_comment(state, full_name, number, review, comment)
    return review


def _check_review(
    state: GitHubState, pull: Pull, full_name: str, *, event: Any, body: str, commit_id: str
) -> None:
    if event not in (None, *REVIEW_STATES):
        raise unprocessable(f"Unknown event: {event!r}")
    if len(body) > BODY_LIMIT:
        raise unprocessable(BODY_TOO_LONG)
    if event == "REQUEST_CHANGES" and not body.strip():
        # GitHub requires the body here; this exact wording is unconfirmed.
        raise unprocessable("Body is required when using REQUEST_CHANGES event")
    if event in ("REQUEST_CHANGES", "APPROVE") and pull.author == state.bot_login:
        verb = "request changes on" if event == "REQUEST_CHANGES" else "approve"
        raise unprocessable(f"Review Can not {verb} your own pull request")
    if commit_id not in pull.heads_seen:
        raise unprocessable(f"No commit found for SHA: {commit_id}")
    reviews = state.repo(full_name).reviews.get(pull.number, [])
    if any(r["state"] == "PENDING" and r["user"]["login"] == state.bot_login for r in reviews):
        # Fires for a submitted review too, not only for a second pending one.
        raise unprocessable("User can only have one pending review per pull request")


def _check_comments(pull: Pull, comments: list[dict[str, Any]]) -> None:
    """Lines are checked against the PR's current files, whatever `commit_id` says."""
    patches = {f["filename"]: f.get("patch") for f in pull.files}
    for comment in comments:
        text = comment.get("body") or ""
        if not text.strip():
            raise unprocessable("Body can't be blank")
        if len(text) > BODY_LIMIT:
            raise unprocessable(BODY_TOO_LONG)
        error = comment_error(patches, comment)
        if error:
            raise unprocessable(error)


def store_review(
    state: GitHubState,
    full_name: str,
    number: int,
    *,
    body: str,
    status: str,
    commit_id: str,
    user: dict[str, Any] | None = None,
) -> dict[str, Any]:
    rid = state.next_id()
    review: dict[str, Any] = {
        "id": rid,
        "node_id": f"PRR_{rid}",
        "user": user or state.bot_json(),
        "body": body,
        "state": status,
        "commit_id": commit_id,
        "html_url": f"https://github.com/{full_name}/pull/{number}#pullrequestreview-{rid}",
        "pull_request_url": f"{state.base_url}/repos/{full_name}/pulls/{number}",
        "author_association": "NONE",
    }
    if status != "PENDING":
        review["submitted_at"] = now_iso()
    state.repo(full_name).reviews.setdefault(number, []).append(review)
    return review


def store_review_comment(
    state: GitHubState,
    full_name: str,
    number: int,
    review: dict[str, Any],
    comment: dict[str, Any],
) -> dict[str, Any]:
    cid = state.next_id()
    side = comment.get("side") or "RIGHT"
    start = comment.get("start_line")
    patch = next(
        (
            f.get("patch")
            for f in state.pull(full_name, number).files
            if f["filename"] == comment["path"]
        ),
        None,
    )
    stored = {
        "id": cid,
        "node_id": f"PRRC_{cid}",
        "pull_request_review_id": review["id"],
        "path": comment["path"],
        "line": comment.get("line"),
        "original_line": comment.get("line"),
        "side": side,
        "start_line": start,
        "original_start_line": start,
        "start_side": (comment.get("start_side") or side) if start is not None else None,
        "subject_type": comment.get("subject_type") or "line",
        "body": comment["body"],
        "user": review["user"],
        "commit_id": review["commit_id"],
        "original_commit_id": review["commit_id"],
        "in_reply_to_id": comment.get("in_reply_to_id"),
        "diff_hunk": comment.get("diff_hunk") or diff_hunk(patch, comment.get("line"), side),
        "url": f"{state.base_url}/repos/{full_name}/pulls/comments/{cid}",
        "html_url": f"https://github.com/{full_name}/pull/{number}#discussion_r{cid}",
        "pull_request_url": review["pull_request_url"],
        "created_at": now_iso(),
        "updated_at": now_iso(),
        "author_association": review["author_association"],
    }
    state.repo(full_name).review_comments.setdefault(number, []).append(stored)
    return stored


def visible_review_comments(
    state: GitHubState, full_name: str, number: int
) -> list[dict[str, Any]]:
    """Comments of submitted reviews: GitHub does not list pending ones."""
    repo = state.repo(full_name)
    pending = {r["id"] for r in repo.reviews.get(number, []) if r["state"] == "PENDING"}
    comments = repo.review_comments.get(number, [])
    return [c for c in comments if c["pull_request_review_id"] not in pending]


def find_review(state: GitHubState, full_name: str, number: int, review_id: int) -> dict[str, Any]:
    state.pull(full_name, number)
    for review in state.repo(full_name).reviews.get(number, []):
        if review["id"] == review_id:
            return review
    raise not_found()


def dismiss_review(
    state: GitHubState, full_name: str, number: int, review_id: int, payload: dict[str, Any]
) -> dict[str, Any]:
    review = find_review(state, full_name, number, review_id)
    if not payload.get("message"):
        raise unprocessable("Message can't be blank")
    if review["state"] not in ("CHANGES_REQUESTED", "APPROVED"):
        raise unprocessable(f"Can not dismiss a {review['state'].lower()} pull request review")
    review["state"] = "DISMISSED"
    return review


def delete_pending_review(
    state: GitHubState, full_name: str, number: int, review_id: int
) -> dict[str, Any]:
    review = find_review(state, full_name, number, review_id)
    if review["state"] != "PENDING":
        # GitHub only deletes pending reviews; this exact wording is unconfirmed.
        raise unprocessable("Can not delete a non-pending pull request review")
    repo = state.repo(full_name)
    repo.reviews[number].remove(review)
    kept = repo.review_comments.get(number, [])
    repo.review_comments[number] = [c for c in kept if c["pull_request_review_id"] != review_id]
    return review
