"""Workers: supersede, cancel, retries, restart, lost jobs, budget, PR lock, shutdown, kill -9."""

from __future__ import annotations

import contextlib
import copy
import itertools
import os
import signal
import threading
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import httpx
import pytest

from bot.app.jobs import JobContext, JobResult, ReviewJob
from bot.app.metrics import Metrics
from bot.app.pool import WorkerPool
from bot.app.queue import JobQueue
from bot.app.worker import budget_notice
from bot.settings import Settings
from tests.app.helpers import (
    deliver,
    finished,
    opened_queue,
    payload,
    pr_comment,
    wait_for,
    web_app,
    with_head,
)
from tests.app.processes import spawn_worker
from tests.fakes.reviewer import FakeReviewer

Factory = Callable[..., Settings]


@pytest.fixture
def reviewer_db(tmp_path: Path) -> Path:
    return tmp_path / "reviewer.sqlite3"


@contextlib.contextmanager
def pool(
    settings: Settings, reviewer: FakeReviewer, *, workers: int = 1, grace_s: float = 2.0
) -> Iterator[JobQueue]:
    with opened_queue(settings) as queue:
        workers_pool = WorkerPool(
            queue, reviewer, settings=settings, metrics=Metrics(), workers=workers
        )
        workers_pool.start()
        try:
            yield queue
        finally:
            workers_pool.stop(grace_s=grace_s)


def push(
    client: httpx.Client, sha: str, *, installation: int | None = None, number: int = 2
) -> str:
    delivery = str(uuid.uuid4())
    data = with_head("pull_request.synchronize", sha, installation=installation)
    data["number"] = data["pull_request"]["number"] = number
    response = deliver(client, "pull_request", data, delivery=delivery)
    assert response.json()["outcome"] == "queued", response.json()
    return delivery


def command(
    client: httpx.Client, body: str, *, number: int = 2, installation: int | None = None
) -> str:
    data = pr_comment(body)
    data["issue"]["number"] = number
    if installation is not None:
        data["installation"] = {"id": installation}
    delivery = str(uuid.uuid4())
    assert deliver(client, "issue_comment", data, delivery=delivery).json()["outcome"] == "queued"
    return delivery


# --- supersede and cancel --------------------------------------------------------------------


def test_newer_push_cancels_the_running_review_and_only_it_is_posted(
    make: Factory, reviewer_db: Path
) -> None:
    release = threading.Event()
    reviewer = FakeReviewer(reviewer_db, gate=release.is_set)
    with web_app(make(), reviewer, workers=2) as (client, queue):
        old = push(client, "a" * 40)
        wait_for(lambda: len(reviewer.calls()) == 1, what="first review to start")
        new = push(client, "b" * 40)
        # Superseded at once in the store; the running reviewer notices via ctx.cancelled().
        assert queue.store.get(old).state == "superseded"  # type: ignore[union-attr]
        wait_for(lambda: reviewer.calls()[0]["end"] is not None, what="old review to stop")
        old_record = wait_for(lambda: (r := finished(queue, old)) and r.status and r, what="status")
        release.set()
        new_record = wait_for(lambda: finished(queue, new), what="new review")
    assert (old_record.state, old_record.status) == ("superseded", "superseded")
    assert new_record.state == "done" and new_record.status == "posted"
    assert [p["head"] for p in reviewer.posts()] == ["b" * 40]
    assert [c["head"] for c in reviewer.calls()] == ["a" * 40, "b" * 40]


def test_queued_older_head_is_skipped_when_dequeued(make: Factory, reviewer_db: Path) -> None:
    settings = make()
    reviewer = FakeReviewer(reviewer_db)
    with web_app(settings) as (client, _):
        old, new = push(client, "a" * 40), push(client, "b" * 40)
    with pool(settings, reviewer) as queue:
        wait_for(lambda: finished(queue, new), what="newer head reviewed")
        assert queue.store.get(old).state == "superseded"  # type: ignore[union-attr]
    assert [c["head"] for c in reviewer.calls()] == ["b" * 40]


def test_closed_pr_cancels_its_queued_work(make: Factory, reviewer_db: Path) -> None:
    settings = make()
    reviewer = FakeReviewer(reviewer_db)
    with web_app(settings) as (client, _):
        cancelled = push(client, "a" * 40)
        assert (
            deliver(client, "pull_request", payload("pull_request.closed")).json()["outcome"]
            == "cancelled"
        )
        other = push(client, "c" * 40, number=3)  # queued after, so done means the first was seen
    with pool(settings, reviewer) as queue:
        wait_for(lambda: finished(queue, other), what="other PR reviewed")
        assert queue.store.get(cancelled).state == "superseded"  # type: ignore[union-attr]
    assert [(c["number"], c["head"]) for c in reviewer.calls()] == [(3, "c" * 40)]


# --- failures, retries, restarts -------------------------------------------------------------


def test_job_that_raises_is_retried_with_backoff_then_failed(
    make: Factory, reviewer_db: Path
) -> None:
    settings = make(job_retries=2, job_retry_delay_s=0.05)
    reviewer = FakeReviewer(reviewer_db, fail_times=99)
    with web_app(settings, reviewer) as (client, queue):
        delivery = push(client, "a" * 40)
        record = wait_for(lambda: finished(queue, delivery), what="job to fail")
        metrics = client.get("/metrics").text
    assert (record.state, record.attempts) == ("failed", 3)
    assert "RuntimeError: boom" in record.detail and "ghp_" not in record.detail
    starts = [c["start"] for c in reviewer.calls()]
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert len(starts) == 3 and gaps[0] >= 0.05 and gaps[1] >= 0.1  # delay x 2^attempt
    assert 'grok_review_errors_total{where="review"} 3.0' in metrics
    assert 'grok_review_jobs_finished_total{status="failed"} 1.0' in metrics


class _Refused:
    """A reviewer whose run ends as failed, the way AppReviewer reports a BotError."""

    def review(self, job: ReviewJob, ctx: JobContext) -> JobResult:
        detail = f"{job.repo}#{job.number} not found, or the token cannot see it (404)"
        return JobResult("failed", detail=detail)

    def post_notice(self, job: ReviewJob, text: str) -> None:
        raise AssertionError("no notice expected")


def test_failed_job_logs_why(make: Factory, caplog: pytest.LogCaptureFixture) -> None:
    with web_app(make(), _Refused()) as (client, queue):  # type: ignore[arg-type]
        delivery = push(client, "a" * 40)
        record = wait_for(lambda: finished(queue, delivery), what="job to fail")
    assert record.state == "failed"
    (entry,) = [r for r in caplog.records if r.getMessage() == "review finished"]
    assert entry.levelname == "WARNING" and entry.status == "failed"  # type: ignore[attr-defined]
    assert entry.detail == record.detail  # type: ignore[attr-defined]
    assert "not found, or the token cannot see it (404)" in entry.detail  # type: ignore[attr-defined]


def test_job_that_raises_once_is_retried_and_posted_once(make: Factory, reviewer_db: Path) -> None:
    reviewer = FakeReviewer(reviewer_db, fail_times=1, cost_usd=0.25)
    with web_app(make(), reviewer) as (client, queue):
        delivery = push(client, "a" * 40)
        record = wait_for(lambda: finished(queue, delivery), what="job to finish")
        metrics = client.get("/metrics").text
    assert (record.state, record.status, record.attempts) == ("done", "posted", 2)
    assert len(reviewer.posts()) == 1
    assert "grok_review_model_cost_usd_total 0.25" in metrics
    assert 'grok_review_model_tokens_total{kind="prompt"} 1000.0' in metrics
    assert "grok_review_review_duration_seconds_count 1.0" in metrics


def test_job_accepted_while_no_worker_ran_is_processed_when_one_starts(
    make: Factory, reviewer_db: Path
) -> None:
    settings = make()
    with web_app(settings) as (client, _):
        delivery = push(client, "a" * 40)
    # Everything was closed in between: only the files (or Redis) carry the job over.
    reviewer = FakeReviewer(reviewer_db)
    with pool(settings, reviewer) as queue:
        record = wait_for(lambda: finished(queue, delivery), what="job after restart")
    assert record.status == "posted" and len(reviewer.posts()) == 1


def test_job_lost_by_huey_is_requeued_by_the_sweeper(make: Factory, reviewer_db: Path) -> None:
    settings = make()
    with web_app(settings) as (client, queue):
        delivery = push(client, "a" * 40)
        queue.huey.flush()  # as if a worker took the message and died before claiming it
        assert queue.depth() == 0
    reviewer = FakeReviewer(reviewer_db)
    with pool(settings, reviewer) as queue:
        record = wait_for(lambda: finished(queue, delivery), what="lost job re-enqueued")
    assert record.status == "posted" and len(reviewer.calls()) == 1


# --- budget, locks, shutdown -----------------------------------------------------------------


def test_daily_budget_stops_reviews_with_one_notice_per_pr(
    make: Factory, reviewer_db: Path
) -> None:
    reviewer = FakeReviewer(reviewer_db, cost_usd=1.5)
    with web_app(make(daily_budget_usd=1.0), reviewer) as (client, queue):
        first = push(client, "a" * 40, installation=7)
        assert wait_for(lambda: finished(queue, first), what="first review").status == "posted"
        # One at a time: a newer push would otherwise supersede a queued older one.
        records = []
        for step in ("b", "c", "/review"):
            if step == "/review":
                delivery = command(client, step, number=1, installation=7)
            else:
                delivery = push(client, step * 40, installation=7)
            records.append(wait_for(partial(finished, queue, delivery), what="budget skip"))
        other = push(client, "d" * 40, installation=8, number=5)
        assert (
            wait_for(lambda: finished(queue, other), what="other installation").status == "posted"
        )
    assert [(r.state, r.status) for r in records] == [("done", "skipped")] * 3
    assert [c["head"] for c in reviewer.calls()] == ["a" * 40, "d" * 40]
    notices = reviewer.notices()
    assert sorted(n["number"] for n in notices) == [1, 2]  # once per PR per day
    assert all("$1.00" in n["text"] and "`/review`" in n["text"] for n in notices)


def test_each_review_is_told_the_daily_budget_left(make: Factory, reviewer_db: Path) -> None:
    reviewer = FakeReviewer(reviewer_db, cost_usd=0.5)
    with web_app(make(daily_budget_usd=2.0), reviewer) as (client, queue):
        for head in ("a", "b"):
            delivery = push(client, head * 40, installation=7)
            wait_for(partial(finished, queue, delivery), what="review")
    assert [c["budget"] for c in reviewer.calls()] == [2.0, 1.5]
    unbudgeted = FakeReviewer(reviewer_db.with_name("other.sqlite3"))
    with web_app(make(), unbudgeted) as (client, queue):
        delivery = push(client, "c" * 40)
        wait_for(partial(finished, queue, delivery), what="review")
    assert [c["budget"] for c in unbudgeted.calls()] == [None]


def test_one_pr_is_never_reviewed_by_two_workers_at_once(make: Factory, reviewer_db: Path) -> None:
    reviewer = FakeReviewer(reviewer_db, hold_s=0.15)
    with web_app(make(), reviewer, workers=3) as (client, queue):
        jobs = [push(client, "a" * 40), command(client, "/review"), command(client, "/review full")]
        for delivery in jobs:
            wait_for(partial(finished, queue, delivery), what="all three reviews")
    spans = sorted((c["start"], c["end"]) for c in reviewer.calls())
    assert len(spans) == 3
    assert all(prev_end <= start for (_, prev_end), (start, _) in itertools.pairwise(spans))
    assert {c["trigger"] for c in reviewer.calls()} == {"auto", "command", "command_full"}


def test_stop_lets_a_short_job_finish_and_gives_a_long_one_back(
    make: Factory, reviewer_db: Path
) -> None:
    settings = make(stale_after_s=5.0)  # so only the give-back, not the sweeper, can rerun it
    with web_app(settings) as (client, _):
        short = push(client, "a" * 40)
    with pool(settings, FakeReviewer(reviewer_db, hold_s=0.2), grace_s=5.0) as queue:
        wait_for(lambda: queue.store.get(short).state == "running", what="short job start")  # type: ignore[union-attr]
    with opened_queue(settings) as queue:
        assert queue.store.get(short).state == "done"  # type: ignore[union-attr]
    with web_app(settings) as (client, _):
        long = push(client, "b" * 40)
    stuck = FakeReviewer(reviewer_db, gate=lambda: False)
    with pool(settings, stuck, grace_s=0.1) as queue:
        wait_for(lambda: queue.store.get(long).state == "running", what="long job start")  # type: ignore[union-attr]
    with pool(settings, FakeReviewer(reviewer_db)) as queue:
        # Given back as queued and re-enqueued at once: no wait for stale_after_s.
        record = wait_for(
            lambda: finished(queue, long), timeout=settings.stale_after_s / 2, what="rerun"
        )
    assert record.status == "posted" and record.attempts == 2


def test_worker_killed_mid_review_is_rerun_and_posts_once(make: Factory, reviewer_db: Path) -> None:
    settings = make()
    reviewer = FakeReviewer(reviewer_db)
    with web_app(settings) as (client, queue):
        delivery = push(client, "a" * 40)
        doomed = spawn_worker(settings, reviewer_db=reviewer_db, block=True)
        try:
            wait_for(lambda: len(reviewer.calls()) == 1, what="review to start in the worker")
        finally:
            os.kill(doomed.pid, signal.SIGKILL)
            doomed.wait(timeout=10)
        assert queue.store.get(delivery).state == "running"  # type: ignore[union-attr]
        survivor = spawn_worker(settings, reviewer_db=reviewer_db, block=False)
        try:
            record = wait_for(lambda: finished(queue, delivery), what="rerun by the new worker")
        finally:
            survivor.send_signal(signal.SIGTERM)
            _, stderr = survivor.communicate(timeout=10)
    assert survivor.returncode == 0, stderr.decode()
    assert (record.state, record.status, record.attempts) == ("done", "posted", 2)
    calls = reviewer.calls()
    assert len(calls) == 2 and calls[0]["pid"] == doomed.pid and calls[1]["pid"] == survivor.pid
    assert [p["head"] for p in reviewer.posts()] == ["a" * 40]


def test_payload_helpers_do_not_change_the_recorded_files() -> None:
    # The helpers change what payload() returns in place: it must hand out a fresh copy.
    before = copy.deepcopy(payload("pull_request.synchronize"))
    with_head("pull_request.synchronize", "f" * 40, installation=1)
    assert payload("pull_request.synchronize") == before
    comment = copy.deepcopy(payload("issue_comment.created"))
    pr_comment("/review", association="NONE", user_type="Bot")
    assert payload("issue_comment.created") == comment


def test_budget_notice_says_what_was_not_done() -> None:
    review = budget_notice(cap=1.0, spent=1.25)
    answer = budget_notice(cap=1.0, spent=1.25, answer=True)
    assert "did not review this pull request" in review and "$1.00" in review
    assert "did not answer here" in answer and "review this pull request" not in answer
    assert "$1.25" in answer
    assert ReviewJob("d", 1, "o/r", 1, None, "ask").is_answer
    assert ReviewJob("d", 1, "o/r", 1, None, "reply").is_answer
    assert not ReviewJob("d", 1, "o/r", 1, None, "command").is_answer
