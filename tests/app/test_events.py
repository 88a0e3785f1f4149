"""Pure parts of the webhook service: signature check and event → decision."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app.events import Cancel, Enqueue, Ignore, Invalid, Note, Pong, decide
from bot.app.signature import sign_body, verify_signature
from tests.app.helpers import SECRET, payload, pr_comment

BODY = b'{"zen": "Design for failure."}'


def test_signature_accepts_githubs_format() -> None:
    header = sign_body(secret=SECRET, body=BODY)
    assert header.startswith("sha256=") and len(header) == 7 + 64
    assert verify_signature(secret=SECRET, body=BODY, header=header)


def test_signature_from_githubs_documentation() -> None:
    # The example in GitHub's "Validating webhook deliveries" docs.
    header = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert verify_signature(
        secret="It's a Secret to Everybody", body=b"Hello, World!", header=header
    )


@pytest.mark.parametrize(
    "header",
    [None, "", "sha256=", "sha1=" + "0" * 40, "sha256=" + "0" * 64, "sha256=é" + "0" * 63],
)
def test_signature_rejects(header: str | None) -> None:
    assert not verify_signature(secret=SECRET, body=BODY, header=header)


def test_signature_needs_a_secret() -> None:
    assert not verify_signature(secret="", body=BODY, header=sign_body(secret="", body=BODY))


def _decide(event: str, data: dict[str, Any], app_id: int | None = None) -> Any:
    return decide(event, data, delivery_id="d-1", app_id=app_id)


@pytest.mark.parametrize("action", ["opened", "reopened", "synchronize", "ready_for_review"])
def test_pull_request_actions_enqueue_with_head(action: str) -> None:
    data = payload(f"pull_request.{action}")
    decision = _decide("pull_request", data)
    assert isinstance(decision, Enqueue)
    job = decision.job
    assert (job.delivery_id, job.repo, job.number, job.trigger) == (
        "d-1",
        "Codertocat/Hello-World",
        2,
        "auto",
    )
    assert job.head_sha == data["pull_request"]["head"]["sha"]
    assert job.installation_id == (data.get("installation") or {}).get("id")


def test_closed_cancels() -> None:
    assert _decide("pull_request", payload("pull_request.closed")) == Cancel(
        "d-1", "Codertocat/Hello-World", 2, "closed"
    )


def test_other_events_and_actions() -> None:
    assert isinstance(_decide("pull_request", payload("pull_request.labeled")), Ignore)
    assert isinstance(_decide("ping", payload("ping")), Pong)
    assert isinstance(_decide("installation", payload("installation.created")), Note)
    assert isinstance(_decide("installation_repositories", {"action": "added"}), Note)
    assert isinstance(_decide("push", payload("ping")), Ignore)
    # The recorded comment is on a plain issue, not a PR.
    assert _decide("issue_comment", payload("issue_comment.created")) == Ignore(
        "comment on an issue, not a pull request"
    )


def test_payloads_missing_what_we_need_are_invalid() -> None:
    data = payload("pull_request.opened")
    del data["pull_request"]["head"]["sha"]
    assert isinstance(_decide("pull_request", data), Invalid)
    assert isinstance(_decide("pull_request", {"action": "opened"}), Invalid)
    assert isinstance(
        _decide("issue_comment", {**pr_comment("/review"), "repository": None}), Invalid
    )


def test_comment_from_trusted_member_enqueues_without_head() -> None:
    decision = _decide("issue_comment", pr_comment("/review full", association="COLLABORATOR"))
    assert isinstance(decision, Enqueue)
    assert (decision.job.trigger, decision.job.head_sha, decision.job.requested_by) == (
        "command_full",
        None,
        "Codertocat",
    )


@pytest.mark.parametrize(
    "association", ["CONTRIBUTOR", "FIRST_TIME_CONTRIBUTOR", "NONE", "MANNEQUIN", None]
)
def test_comment_from_others_is_ignored(association: str | None) -> None:
    data = pr_comment("/review")
    data["comment"]["author_association"] = association
    assert isinstance(_decide("issue_comment", data), Ignore)


def test_comments_by_bots_or_this_app_are_ignored() -> None:
    assert isinstance(_decide("issue_comment", pr_comment("/review", user_type="Bot")), Ignore)
    ours = pr_comment("/review\n<!-- grok-review:head=abc -->")
    assert isinstance(_decide("issue_comment", ours), Ignore)
    via_app = pr_comment("/review")
    via_app["comment"]["performed_via_github_app"] = {"id": 29310}
    assert isinstance(_decide("issue_comment", via_app, app_id=29310), Ignore)
    assert isinstance(_decide("issue_comment", via_app, app_id=1), Enqueue)


def test_edited_or_deleted_comments_are_ignored() -> None:
    data = pr_comment("/review")
    data["action"] = "edited"
    assert isinstance(_decide("issue_comment", data), Ignore)
