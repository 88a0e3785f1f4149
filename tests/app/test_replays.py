"""Signed deliveries replayed under new delivery ids, and signed deliveries with odd fields,
against the real app under uvicorn, SQLite and Redis."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from tests.app.helpers import (
    deliver,
    payload,
    pr_comment,
    signed,
    with_head,
)


def replay(client: httpx.Client, event: str, body: bytes) -> str:
    """Post a captured signed body again, under a delivery id of the attacker's choosing."""
    headers = signed(body, event)  # the same body signs the same
    headers["X-GitHub-Delivery"] = str(uuid.uuid4())
    response = client.post("/webhook", content=body, headers=headers)
    assert response.status_code == 202
    return str(response.json()["outcome"])


def test_a_replayed_review_command_queues_one_review(app: Any) -> None:
    client, queue = app
    body = json.dumps(pr_comment("/review full")).encode()
    outcomes = [replay(client, "issue_comment", body) for _ in range(4)]
    assert outcomes == ["queued", "replayed", "replayed", "replayed"]
    assert queue.depth() == 1 and queue.store.counts() == {"queued": 1}
    # Another comment saying the same is another request.
    assert replay(client, "issue_comment", json.dumps(pr_comment("/review full")).encode()) == (
        "queued"
    )


def test_a_replayed_push_cannot_supersede_the_current_review(app: Any) -> None:
    client, queue = app
    old = json.dumps(with_head("pull_request.synchronize", "a" * 40)).encode()
    assert replay(client, "pull_request", old) == "queued"
    current = str(uuid.uuid4())
    new = with_head("pull_request.synchronize", "b" * 40)
    assert deliver(client, "pull_request", new, delivery=current).json()["outcome"] == "queued"
    assert replay(client, "pull_request", old) == "replayed"  # the old head stays replaced
    record = queue.store.get(current)
    assert record is not None and record.state == "queued"


def test_a_replayed_close_cancels_nothing_new(app: Any) -> None:
    client, queue = app
    closed = json.dumps(payload("pull_request.closed")).encode()
    assert replay(client, "pull_request", closed) == "cancelled"
    job = str(uuid.uuid4())
    deliver(client, "pull_request", payload("pull_request.reopened"), delivery=job)
    assert replay(client, "pull_request", closed) == "replayed"
    record = queue.store.get(job)
    assert record is not None and record.state == "queued"


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.update(number=2**70),
        lambda d: d.update(installation={"id": 2**70}),
        lambda d: d.update(action=["synchronize"]),
        lambda d: d.update(number=True),
        lambda d: d["pull_request"]["head"].update(sha="f" * 1_000_000),
    ],
    ids=["number-2**70", "installation-2**70", "action-list", "number-true", "1MB-sha"],
)
def test_signed_deliveries_with_odd_fields_get_400(app: Any, change: Any) -> None:
    client, queue = app
    current = str(uuid.uuid4())
    deliver(client, "pull_request", payload("pull_request.opened"), delivery=current)
    data = payload("pull_request.synchronize")
    change(data)
    response = deliver(client, "pull_request", data)
    assert (response.status_code, response.json()["outcome"]) == (400, "bad_request")
    assert queue.store.get(current).state == "queued"  # nothing superseded the real job


@pytest.mark.parametrize("delivery", ["x" * 200, "comment:1", "a b", "a/../b"])
def test_malformed_delivery_ids_get_400(app: Any, delivery: str) -> None:
    client, queue = app
    body = json.dumps(pr_comment("/review")).encode()
    headers = signed(body, "issue_comment")
    headers["X-GitHub-Delivery"] = delivery
    response = client.post("/webhook", content=body, headers=headers)
    assert (response.status_code, response.json()["outcome"]) == (400, "bad_request")
    assert queue.depth() == 0
