"""Pure parts of the webhook service: signature check and event → decision."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app.events import HANDLED_EVENTS, Cancel, Enqueue, Ignore, Invalid, Note, Pong, decide
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
        "a comment on an issue, not on a pull request"
    )


@pytest.mark.parametrize("event", sorted(HANDLED_EVENTS | {"push", "release"}))
def test_handled_events_are_exactly_those_decide_acts_on(event: str) -> None:
    """HANDLED_EVENTS names the metrics' event labels: it must say what decide() handles."""
    unhandled = _decide(event, {}) == Ignore(f"event {event!r} is not handled")
    assert unhandled == (event not in HANDLED_EVENTS)


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


ODD_PULL_REQUESTS = {
    "number 2**70": lambda d: d.update(number=2**70),
    "number true": lambda d: d.update(number=True),
    "number 0": lambda d: d.update(number=0),
    "number as text": lambda d: d.update(number="2"),
    "installation id 2**70": lambda d: d.update(installation={"id": 2**70}),
    "installation id text": lambda d: d.update(installation={"id": "1"}),
    "action a list": lambda d: d.update(action=["opened"]),
    "1 MB head sha": lambda d: d["pull_request"]["head"].update(sha="a" * 1_000_000),
    "head sha not hex": lambda d: d["pull_request"]["head"].update(sha="g" * 40),
    "head sha short": lambda d: d["pull_request"]["head"].update(sha="abc1234"),
    "repository name odd": lambda d: d["repository"].update(full_name="a/b/c"),
    "repository name huge": lambda d: d["repository"].update(full_name="a/" + "b" * 10_000),
}


@pytest.mark.parametrize("change", ODD_PULL_REQUESTS.values(), ids=list(ODD_PULL_REQUESTS))
def test_pull_requests_with_odd_fields_are_invalid(change: Any) -> None:
    data = payload("pull_request.synchronize")
    change(data)
    assert isinstance(_decide("pull_request", data), Invalid)


ODD_COMMENTS = {
    "issue number 2**70": lambda d: d["issue"].update(number=2**70),
    "issue number true": lambda d: d["issue"].update(number=True),
    "comment id missing": lambda d: d["comment"].pop("id"),
    "comment id text": lambda d: d["comment"].update(id="12"),
    "installation id negative": lambda d: d.update(installation={"id": -1}),
    "action a dict": lambda d: d.update(action={"created": 1}),
}


@pytest.mark.parametrize("change", ODD_COMMENTS.values(), ids=list(ODD_COMMENTS))
def test_comments_with_odd_fields_are_invalid(change: Any) -> None:
    data = pr_comment("/review")
    change(data)
    assert isinstance(_decide("issue_comment", data), Invalid)


def test_a_huge_login_is_not_kept_and_odd_actions_are_not_echoed_whole() -> None:
    data = pr_comment("/review")
    data["comment"]["user"]["login"] = "x" * 10_000
    decision = _decide("issue_comment", data)
    assert isinstance(decision, Enqueue) and decision.job.requested_by is None
    ignored = _decide("pull_request", {**payload("pull_request.opened"), "action": "z" * 10_000})
    assert isinstance(ignored, Ignore) and len(ignored.reason) < 100


def test_replay_keys_stay_the_same_under_a_new_delivery_id() -> None:
    comment = pr_comment("/review")
    first = decide("issue_comment", comment, delivery_id="d-1")
    again = decide("issue_comment", comment, delivery_id="d-2")
    assert isinstance(first, Enqueue) and isinstance(again, Enqueue)
    assert first.replay_key == again.replay_key == f"comment:{comment['comment']['id']}"
    pushed = decide(
        "pull_request", payload("pull_request.opened"), delivery_id="d-3", body_digest="ab"
    )
    closed = decide(
        "pull_request", payload("pull_request.closed"), delivery_id="d-4", body_digest="cd"
    )
    assert isinstance(pushed, Enqueue) and pushed.replay_key == "body:ab"
    assert isinstance(closed, Cancel) and closed.replay_key == "body:cd"


def _our_rerun() -> dict[str, Any]:
    data = payload("check_run.rerequested")
    data["check_run"].update(name="grok-review", pull_requests=[{"number": 5}])
    return data


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["check_run"].update(pull_requests=[{"number": 2**70}]),
        lambda d: d.update(installation={"id": 2**70}),
        lambda d: d["repository"].update(full_name="x"),
    ],
    ids=["number-2**70", "installation-2**70", "repository"],
)
def test_check_run_reruns_with_odd_fields_are_invalid(change: Any) -> None:
    data = _our_rerun()
    change(data)
    assert isinstance(_decide("check_run", data), Invalid)


def test_a_rerun_with_a_huge_external_id_names_no_pull_request() -> None:
    data = _our_rerun()
    data["check_run"].update(pull_requests=[], external_id="9" * 5_000)  # int() would raise
    assert _decide("check_run", data) == Ignore("the payload names no pull request")
    replayed = decide("check_run", _our_rerun(), delivery_id="d-9", body_digest="ef")
    assert isinstance(replayed, Enqueue) and replayed.replay_key == "body:ef"


def test_a_rerun_or_a_thread_reply_keeps_a_login_but_not_a_huge_one() -> None:
    rerun = _our_rerun()
    reply = payload("pull_request_review_comment.created")
    reply["comment"].update(in_reply_to_id=7, body="Why?")
    cases = (("check_run", rerun, rerun["sender"]), ("pull_request_review_comment", reply, None))
    for event, data, sender in cases:
        user = sender if sender is not None else data["comment"]["user"]
        kept = _decide(event, data)
        assert isinstance(kept, Enqueue) and kept.job.requested_by == user["login"], event
        user["login"] = "x" * 10_000
        dropped = _decide(event, data)
        assert isinstance(dropped, Enqueue) and dropped.job.requested_by is None, event
