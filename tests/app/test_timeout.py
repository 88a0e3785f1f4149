"""Maximum job duration: a hung review is abandoned, recorded as failed (`timeout`), never
posted, never retried, and frees its PR; plus the store and context pieces that make it so."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app.attempt import RunContext
from bot.app.jobs import JobContext, JobResult, ReviewJob
from bot.app.metrics import Metrics
from bot.app.pool import WorkerPool
from bot.app.reviewer import AppReviewer
from bot.app.store import Store, open_store
from bot.github.api import GitHubClient
from bot.settings import Settings
from tests.app.helpers import (
    deliver,
    finished,
    make_settings,
    opened_queue,
    wait_for,
    web_app,
    with_head,
)
from tests.fakes.github import FakeGitHub
from tests.fakes.jobs import FakeJobContext
from tests.fakes.openai_server import FakeModel, findings
from tests.fakes.reviewer import FakeReviewer
from tests.helpers.settings import review_values

Factory = Callable[..., Settings]
HUNG, NEWER = "a" * 40, "b" * 40


class HungReviewer:
    """Reviews of head HUNG block on `release` without looking at ctx (a model call that does
    not return), then post only if ctx says the job is still theirs, as the real reviewer does;
    other heads go to a FakeReviewer."""

    def __init__(self, inner: FakeReviewer, release: threading.Event) -> None:
        self.inner = inner
        self.release = release
        self.heads: list[str | None] = []
        self.returned: list[JobResult] = []

    def review(self, job: ReviewJob, ctx: JobContext) -> JobResult:
        self.heads.append(job.head_sha)
        if job.head_sha != HUNG:
            return self.inner.review(job, ctx)
        self.release.wait()
        if ctx.cancelled():
            result = JobResult("superseded", cost_usd=0.5)  # the model was paid all the same
        else:
            result = self.inner.review(job, ctx)  # posts
            result = JobResult(result.status, cost_usd=0.5)
        self.returned.append(result)
        return result

    def post_notice(self, job: ReviewJob, text: str) -> None:
        self.inner.post_notice(job, text)


def push(client: httpx.Client, sha: str) -> str:
    delivery = str(uuid.uuid4())
    data = with_head("pull_request.synchronize", sha, installation=7)
    assert deliver(client, "pull_request", data, delivery=delivery).json()["outcome"] == "queued"
    return delivery


# --- the worker ------------------------------------------------------------------------------


def test_hung_review_times_out_frees_the_pr_and_its_late_result_is_not_posted(
    make: Factory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The lock outlives the test unless released: only the timeout can let the newer head in.
    settings = make(job_timeout_s=0.3, stale_after_s=5.0)
    release = threading.Event()
    reviewer = HungReviewer(FakeReviewer(tmp_path / "reviewer.sqlite3"), release)
    caplog.set_level(logging.INFO, logger="bot.app")
    try:
        # One worker thread: the newer head can only run if the runner stopped waiting.
        with web_app(settings, reviewer, grace_s=0.5) as (client, queue):
            hung = push(client, HUNG)
            timed_out = wait_for(lambda: finished(queue, hung), what="timeout")
            newer = push(client, NEWER)
            posted = wait_for(
                lambda: finished(queue, newer),
                timeout=settings.stale_after_s / 2,
                what="newer head",
            )
            metrics = client.get("/metrics").text
            release.set()
            wait_for(lambda: queue.store.spent_today(7) == 0.5, what="late cost recorded")
            after = queue.store.get(hung)
    finally:
        release.set()
    assert (timed_out.state, timed_out.status, timed_out.attempts) == ("failed", "failed", 1)
    assert timed_out.detail.startswith("timeout:") and "job_timeout_s=0.3" in timed_out.detail
    assert after == timed_out  # the late result changed nothing but the spend
    assert (posted.state, posted.status) == ("done", "posted")
    assert [p["head"] for p in reviewer.inner.posts()] == [NEWER]
    assert [r.status for r in reviewer.returned] == ["superseded"]
    assert reviewer.heads == [HUNG, NEWER]  # no retry of HUNG
    assert "grok_review_jobs_timed_out_total 1.0" in metrics
    assert 'grok_review_jobs_finished_total{status="failed"} 1.0' in metrics
    (line,) = [r for r in caplog.records if r.getMessage() == "review timed out"]
    assert line.levelno == logging.ERROR
    assert (line.delivery, line.reason, line.timeout_s) == (hung, "timeout", 0.3)  # type: ignore[attr-defined]


def test_timed_out_job_is_not_revived_by_the_sweeper(make: Factory, tmp_path: Path) -> None:
    settings = make(job_timeout_s=0.1, stale_after_s=0.2)
    release = threading.Event()
    reviewer = HungReviewer(FakeReviewer(tmp_path / "reviewer.sqlite3"), release)
    try:
        with web_app(settings, reviewer, grace_s=0.5) as (client, queue):
            hung = push(client, HUNG)
            wait_for(lambda: finished(queue, hung), what="timeout")
            # Long enough for a stale `running` record to be revived (stale_after_s, then a
            # sweep): a timed-out one must stay failed.
            time.sleep(settings.stale_after_s + 3 * settings.requeue_interval_s)
            record = queue.store.get(hung)
            depth = queue.depth()
    finally:
        release.set()
    assert record is not None and (record.state, record.attempts) == ("failed", 1)
    assert depth == 0 and reviewer.heads == [HUNG]


def test_real_reviewer_does_not_post_a_review_that_outlived_its_job(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake_github.add_pr("octo/widgets", 7, head_sha=HUNG, files=[_FILE], title="Loop fix")
    answer = threading.Event()
    with FakeModel() as model:

        def late_answer(request: dict[str, Any]) -> Any:
            answer.wait(10)  # a model call that hangs past the job's deadline
            return findings()

        model.script(late_answer)
        # Long enough to reach the model call even on a busy machine; the model then hangs past it.
        settings = _real_settings(tmp_path, fake_github, model, job_timeout_s=1.0)
        reviewer = _Recording(
            AppReviewer(settings, client_for=lambda _: GitHubClient.from_token(settings))
        )
        with opened_queue(settings) as queue:
            pool = WorkerPool(queue, reviewer, settings=settings, metrics=Metrics(), workers=1)
            pool.start()
            try:
                job = ReviewJob("d-1", None, "octo/widgets", 7, HUNG, "auto")
                queue.store.accept(job)
                queue.submit(job.delivery_id)
                record = wait_for(lambda: finished(queue, job.delivery_id), what="timeout")
                answer.set()  # the model answers after all; the reviewer checks before posting
                result = wait_for(lambda: reviewer.results, what="late result")[0]
            finally:
                answer.set()
                pool.stop(grace_s=1.0)
    assert record.detail.startswith("timeout:")
    assert result.status == "superseded" and len(model.requests) == 1
    assert fake_github.reviews("octo/widgets", 7) == []
    assert fake_github.calls("POST", r"/reviews$") == []


def test_no_post_once_the_run_is_cancelled_while_it_waits_out_a_rate_limit(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake_github.add_pr("octo/widgets", 7, head_sha=HUNG, files=[_FILE], title="Loop fix")
    fake_github.inject("POST", r"/reviews$", 429, headers={"retry-after": "0"})
    with FakeModel() as model:
        settings = _real_settings(tmp_path, fake_github, model)
        reviewer = AppReviewer(settings, client_for=lambda _: GitHubClient.from_token(settings))
        # The job stops being ours (timed out, superseded) once the first POST was refused.
        ctx = FakeJobContext(cancel=lambda: bool(fake_github.calls("POST", r"/reviews$")))
        result = reviewer.review(ReviewJob("d-1", None, "octo/widgets", 7, HUNG, "auto"), ctx)
    assert result.status == "superseded"
    assert [r.status for r in fake_github.calls("POST", r"/reviews$")] == [429]
    assert fake_github.reviews("octo/widgets", 7) == []


_FILE = {
    "filename": "src/app.py",
    "status": "modified",
    "patch": "@@ -1,2 +1,3 @@\n import os\n+print(os.sep)\n print('done')",
}


def _real_settings(tmp: Path, fake: FakeGitHub, model: FakeModel, **more: Any) -> Settings:
    return make_settings(tmp / "data", **review_values(fake, model), **more)


class _Recording:
    def __init__(self, inner: AppReviewer) -> None:
        self.inner = inner
        self.results: list[JobResult] = []

    def review(self, job: ReviewJob, ctx: JobContext) -> JobResult:
        result = self.inner.review(job, ctx)
        self.results.append(result)
        return result

    def post_notice(self, job: ReviewJob, text: str) -> None:
        self.inner.post_notice(job, text)


# --- store and context -----------------------------------------------------------------------


@pytest.fixture
def store(make: Factory) -> Iterator[Store]:
    opened = open_store(make())
    yield opened
    opened.close()


def _claimed(store: Store, *, owner: str, installation: int = 3) -> str:
    job = ReviewJob(str(uuid.uuid4()), installation, "o/r", 1, "c" * 40, "auto")
    store.accept(job)
    assert store.claim(job.delivery_id, owner=owner, lock_ttl_s=60).outcome == "claimed"
    return job.delivery_id


def test_finish_moves_only_a_job_still_running_as_that_owner_and_always_counts_cost(
    store: Store,
) -> None:
    delivery = _claimed(store, owner="w1")
    paid = JobResult("failed", detail="timeout: x", cost_usd=0.25)
    assert store.finish(delivery, owner="other", state="failed", result=paid) is False
    assert store.get(delivery).state == "running"  # type: ignore[union-attr]
    assert store.finish(delivery, owner="w1", state="failed", result=paid) is True
    assert store.finish(delivery, owner="w1", state="done", result=JobResult("posted")) is False
    record = store.get(delivery)
    assert record is not None and (record.state, record.detail) == ("failed", "timeout: x")
    assert store.spent_today(3) == pytest.approx(0.5)


def test_finish_releases_the_pr_lock_for_the_next_job(store: Store) -> None:
    first = _claimed(store, owner="w1")
    store.finish(first, owner="w1", state="failed", result=JobResult("failed"))
    job = ReviewJob(str(uuid.uuid4()), 3, "o/r", 1, "d" * 40, "auto")
    store.accept(job)
    assert store.claim(job.delivery_id, owner="w2", lock_ttl_s=60).outcome == "claimed"


def test_context_past_its_deadline_stops_renewing_and_reports_cancelled(store: Store) -> None:
    delivery = _claimed(store, owner="w1")
    ctx = RunContext(store, delivery, owner="w1", interval_s=60, lock_ttl_s=60, timeout_s=0.05)
    before = store.get(delivery).touched  # type: ignore[union-attr]
    ctx.heartbeat()
    assert not ctx.cancelled() and store.get(delivery).touched > before  # type: ignore[union-attr]
    wait_for(lambda: ctx.remaining_s() == 0, what="deadline")
    renewed = store.get(delivery).touched  # type: ignore[union-attr]
    ctx.heartbeat()
    assert store.get(delivery).touched == renewed  # type: ignore[union-attr]
    assert ctx.cancelled() and ctx.expired()
    assert store.is_current(delivery, owner="w1")  # the store alone would still say "yours"
