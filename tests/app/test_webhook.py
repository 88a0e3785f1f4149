"""POST /webhook, /healthz and /metrics against the real app under uvicorn, SQLite and Redis."""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app.queue import JobQueue
from bot.app.signature import sign_body
from bot.app.web import MAX_BODY
from tests.app.helpers import (
    SECRET,
    backend_redis,
    deliver,
    make_settings,
    payload,
    pr_comment,
    signed,
    web_app,
    with_head,
)


@pytest.fixture(params=["sqlite", "redis"])
def fresh_app(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[httpx.Client, JobQueue]]:
    """A web app of its own, for tests that break the store or read cumulative metrics."""
    settings = make_settings(tmp_path, redis_url=backend_redis(request))
    with web_app(settings) as (client, queue):
        yield client, queue


def outcome(response: httpx.Response) -> str:
    return str(response.json()["outcome"])


# --- status codes, in the order the contract fixes ------------------------------------------


def test_content_length_past_25mb_is_413_before_the_body_is_read(app: Any) -> None:
    client, queue = app
    host, port = client.base_url.host, client.base_url.port
    with socket.create_connection((host, port), timeout=5) as sock:
        # Headers only: if the server waited for the body, recv() would time out.
        sock.sendall(
            b"POST /webhook HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: ping\r\n"
            + f"Content-Length: {MAX_BODY + 1}\r\n\r\n".encode()
        )
        reply = sock.recv(65536).decode()
    assert reply.startswith("HTTP/1.1 413")
    assert queue.depth() == 0


def test_streamed_body_past_25mb_is_413(app: Any) -> None:
    client, _ = app
    chunk = b" " * (1024 * 1024)
    sent = 0

    def body() -> Iterator[bytes]:
        nonlocal sent
        while sent <= MAX_BODY + len(chunk):
            sent += len(chunk)
            yield chunk

    # No Content-Length (chunked), so only counting while streaming can catch it.
    try:
        response = client.post("/webhook", content=body(), headers={"X-GitHub-Event": "ping"})
    except httpx.TransportError:
        pytest.fail("the server dropped the connection instead of answering 413")
    assert response.status_code == 413
    assert sent > MAX_BODY


def test_body_at_the_limit_is_read_and_then_signature_checked(app: Any) -> None:
    client, _ = app
    body = b" " * MAX_BODY
    headers = {"X-GitHub-Event": "ping", "X-Hub-Signature-256": "sha256=" + "0" * 64}
    assert client.post("/webhook", content=body, headers=headers).status_code == 401


@pytest.mark.parametrize(
    "signature",
    [None, "sha256=" + "0" * 64, "sha1=abc", "sha256=", "wrong-secret"],
    ids=["missing", "bad-hex", "sha1", "empty", "other-secret"],
)
def test_missing_or_bad_signature_is_401(app: Any, signature: str | None) -> None:
    client, queue = app
    body = json.dumps(payload("pull_request.opened")).encode()
    headers = {"X-GitHub-Event": "pull_request", "X-GitHub-Delivery": str(uuid.uuid4())}
    if signature == "wrong-secret":
        signature = sign_body(secret=SECRET + "x", body=body)
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    response = client.post("/webhook", content=body, headers=headers)
    assert response.status_code == 401
    assert queue.depth() == 0


def test_signature_covers_the_raw_bytes(app: Any) -> None:
    client, _ = app
    body = json.dumps(payload("ping")).encode()
    headers = signed(body, "ping")
    assert client.post("/webhook", content=body + b" ", headers=headers).status_code == 401
    assert client.post("/webhook", content=body, headers=headers).status_code == 200


def test_missing_event_header_is_400(app: Any) -> None:
    client, _ = app
    body = json.dumps(payload("ping")).encode()
    response = client.post("/webhook", content=body, headers=signed(body, None))
    assert response.status_code == 400
    assert "X-GitHub-Event" in response.json()["detail"]


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"\xff\xfe"])
def test_malformed_json_is_400(app: Any, body: bytes) -> None:
    client, queue = app
    response = client.post("/webhook", content=body, headers=signed(body, "pull_request"))
    assert response.status_code == 400
    assert queue.depth() == 0


def test_ping_is_200(app: Any) -> None:
    client, _ = app
    response = deliver(client, "ping", payload("ping"))
    assert response.status_code == 200
    assert outcome(response) == "pong"


@pytest.mark.parametrize(
    ("event", "name"),
    [
        ("pull_request", "pull_request.labeled"),
        ("push", "ping"),
        ("issue_comment", "issue_comment.created"),
    ],
)
def test_unhandled_events_are_202_with_nothing_queued(app: Any, event: str, name: str) -> None:
    client, queue = app
    response = deliver(client, event, payload(name))
    assert response.status_code == 202
    assert outcome(response) == "ignored"
    assert queue.depth() == 0
    assert queue.store.counts() == {}


def test_installation_events_are_logged_and_202(app: Any, caplog: pytest.LogCaptureFixture) -> None:
    client, queue = app
    caplog.set_level("INFO", logger="bot.app.web")
    response = deliver(client, "installation", payload("installation.created"))
    assert (response.status_code, outcome(response)) == (202, "noted")
    assert queue.depth() == 0
    assert any(getattr(r, "event", None) == "installation" for r in caplog.records)


# --- handled deliveries ----------------------------------------------------------------------


@pytest.mark.parametrize("action", ["opened", "reopened", "synchronize", "ready_for_review"])
def test_handled_pull_request_action_is_recorded_and_queued(app: Any, action: str) -> None:
    client, queue = app
    data = payload(f"pull_request.{action}")
    delivery = str(uuid.uuid4())
    response = deliver(client, "pull_request", data, delivery=delivery)
    assert (response.status_code, outcome(response)) == (202, "queued")
    record = queue.store.get(delivery)
    assert record is not None and record.state == "queued"
    assert record.job.head_sha == data["pull_request"]["head"]["sha"]
    assert (record.job.repo, record.job.number, record.job.trigger) == (
        "Codertocat/Hello-World",
        2,
        "auto",
    )
    assert record.job.installation_id == (data.get("installation") or {}).get("id")
    assert queue.enqueued_ids() == {delivery}


def test_replayed_delivery_is_202_with_nothing_queued(app: Any) -> None:
    client, queue = app
    delivery = str(uuid.uuid4())
    first = deliver(client, "pull_request", payload("pull_request.opened"), delivery=delivery)
    again = deliver(
        client, "pull_request", with_head("pull_request.synchronize", "b" * 40), delivery=delivery
    )
    assert outcome(first) == "queued"
    assert (again.status_code, outcome(again)) == (202, "replayed")
    assert queue.depth() == 1
    assert queue.store.counts() == {"queued": 1}


def test_same_head_is_not_queued_twice_by_automatic_triggers(app: Any) -> None:
    client, queue = app
    first = deliver(client, "pull_request", payload("pull_request.opened"))
    same = deliver(client, "pull_request", payload("pull_request.ready_for_review"))
    assert outcome(first) == "queued"
    assert (same.status_code, outcome(same)) == (202, "duplicate_head")
    assert queue.depth() == 1


def test_newer_head_supersedes_the_queued_older_one(app: Any) -> None:
    client, queue = app
    old, new = str(uuid.uuid4()), str(uuid.uuid4())
    deliver(client, "pull_request", payload("pull_request.opened"), delivery=old)
    response = deliver(
        client, "pull_request", with_head("pull_request.synchronize", "c" * 40), delivery=new
    )
    assert outcome(response) == "queued"
    assert queue.store.get(old).state == "superseded"
    assert queue.store.get(new).state == "queued"


def test_closed_cancels_queued_work_of_that_pr(app: Any) -> None:
    client, queue = app
    job = str(uuid.uuid4())
    deliver(client, "pull_request", payload("pull_request.opened"), delivery=job)
    response = deliver(client, "pull_request", payload("pull_request.closed"))
    assert (response.status_code, outcome(response)) == (202, "cancelled")
    record = queue.store.get(job)
    assert record is not None and record.state == "superseded"
    assert "closed" in record.detail


@pytest.mark.parametrize(
    ("body", "association", "user_type", "expected"),
    [
        ("/review", "MEMBER", "User", "command"),
        ("/review full\nplease", "OWNER", "User", "command_full"),
        ("  /review\n", "COLLABORATOR", "User", "command"),
        ("/review", "CONTRIBUTOR", "User", None),
        ("/review", "NONE", "User", None),
        ("/review", "MEMBER", "Bot", None),
        ("please /review", "MEMBER", "User", None),
        ("/reviewer", "MEMBER", "User", None),
    ],
)
def test_review_command(
    app: Any, body: str, association: str, user_type: str, expected: str | None
) -> None:
    client, queue = app
    delivery = str(uuid.uuid4())
    data = pr_comment(body, association=association, user_type=user_type)
    response = deliver(client, "issue_comment", data, delivery=delivery)
    assert response.status_code == 202
    record = queue.store.get(delivery)
    if expected is None:
        assert outcome(response) == "ignored"
        assert record is None and queue.depth() == 0
        return
    assert outcome(response) == "queued"
    assert record is not None
    assert (record.job.trigger, record.job.head_sha, record.job.number) == (expected, None, 1)
    assert record.job.requested_by == data["comment"]["user"]["login"]


def test_handled_event_without_delivery_id_is_400(app: Any) -> None:
    client, queue = app
    body = json.dumps(payload("pull_request.opened")).encode()
    headers = signed(body, "pull_request")
    del headers["X-GitHub-Delivery"]
    assert client.post("/webhook", content=body, headers=headers).status_code == 400
    assert queue.depth() == 0


# --- health and metrics ----------------------------------------------------------------------


def test_healthz_ok_then_503_when_the_store_is_closed(fresh_app: Any) -> None:
    client, queue = fresh_app
    deliver(client, "pull_request", payload("pull_request.opened"))
    response = client.get("/healthz")
    expected_kind = queue.kind
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "queue": expected_kind, "pending": 1}
    queue.store.close()
    down = client.get("/healthz")
    assert down.status_code == 503
    assert down.json()["status"] == "unavailable"
    # A handled delivery cannot be recorded now: GitHub must hear a failure, not 202.
    assert (
        deliver(client, "pull_request", with_head("pull_request.synchronize", "d" * 40)).status_code
        == 503
    )


def test_metrics_count_deliveries_and_queue(fresh_app: Any) -> None:
    client, _ = fresh_app
    deliver(client, "pull_request", payload("pull_request.opened"))
    deliver(client, "ping", payload("ping"))
    client.post("/webhook", content=b"{}", headers={"X-GitHub-Event": "ping"})
    text = client.get("/metrics").text
    assert 'grok_review_webhook_deliveries_total{event="pull_request",outcome="queued"} 1.0' in text
    assert 'grok_review_webhook_deliveries_total{event="ping",outcome="pong"} 1.0' in text
    assert (
        'grok_review_webhook_deliveries_total{event="unverified",outcome="bad_signature"} 1.0'
        in text
    )
    assert "grok_review_queue_depth 1.0" in text
    assert 'grok_review_jobs{state="queued"} 1.0' in text
    for name in ("review_duration_seconds", "model_tokens", "model_cost_usd", "errors"):
        assert f"# TYPE grok_review_{name}" in text
    names = [line.split()[2] for line in text.splitlines() if line.startswith("# TYPE")]
    assert names and all(n.startswith("grok_review_") for n in names)
