"""The Store protocol and what every backend shares: states, keys, constants, errors."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal, Protocol, get_args

from bot.app.jobs import JobResult, ReviewJob
from bot.errors import UpstreamError

StoreKind = Literal["sqlite", "redis"]
JobState = Literal["queued", "running", "done", "failed", "superseded"]
JOB_STATES: tuple[JobState, ...] = get_args(JobState)
AcceptOutcome = Literal["queued", "replayed", "duplicate_head"]
ClaimOutcome = Literal["claimed", "busy", "gone"]

# Deliveries are remembered this long: GitHub lets people redeliver recent deliveries by hand.
DELIVERY_TTL_S = 7 * 24 * 3600
SQLITE_FILE = "queue.sqlite3"
# Written by every health check where deliveries are remembered; delivery ids have no ':'.
PROBE_KEY = "health:probe"
# How long a SQLite writer (job store or huey, same file) waits for another process's lock.
SQLITE_BUSY_TIMEOUT_S = 10.0
REDIS_PREFIX = "grok_review"
# The `detail` of a job record, the same whichever backend wrote it.
CLOSED_DETAIL = "pull request closed"
TIMEOUT_REASON = "timeout"


class StoreError(UpstreamError):
    """The job store (SQLite file or Redis) cannot be read or written."""


@dataclass(frozen=True)
class JobRecord:
    job: ReviewJob
    state: JobState
    attempts: int = 0
    owner: str | None = None
    touched: float = 0.0  # last heartbeat while running, else last state change / enqueue
    status: str = ""  # JobResult.status once finished
    detail: str = ""


@dataclass(frozen=True)
class Accepted:
    outcome: AcceptOutcome
    superseded: tuple[str, ...] = ()  # delivery ids of older heads this job replaced


@dataclass(frozen=True)
class Claim:
    outcome: ClaimOutcome
    record: JobRecord | None = None


class Store(Protocol):
    """Every method is atomic across processes; `owner` identifies one execution attempt."""

    kind: StoreKind

    def accept(self, job: ReviewJob, *, replay_key: str = "") -> Accepted:
        """Record and queue the job; `replayed` when its delivery id or its replay key (a
        comment id, a body hash: the same when a signed body is replayed under a new
        delivery id) was seen within DELIVERY_TTL_S."""
        ...

    def cancel_pr(
        self, *, delivery_id: str, repo: str, number: int, replay_key: str = ""
    ) -> tuple[str, ...] | None:
        """Supersede the PR's queued/running jobs; None when the delivery is a replay."""
        ...

    def claim(self, delivery_id: str, *, owner: str, lock_ttl_s: float) -> Claim: ...

    def heartbeat(self, delivery_id: str, *, owner: str, lock_ttl_s: float) -> bool: ...

    def is_current(self, delivery_id: str, *, owner: str) -> bool: ...

    def release(self, delivery_id: str, *, owner: str) -> bool:
        """Put a running job back to `queued` (retry or shutdown); False if no longer ours."""
        ...

    def finish(self, delivery_id: str, *, owner: str, state: JobState, result: JobResult) -> bool:
        """Record the result's cost, and `state` if the job still runs as `owner` (then True)."""
        ...

    def get(self, delivery_id: str) -> JobRecord | None: ...

    def revive_stale(self, *, stale_after_s: float, max_attempts: int) -> list[str]:
        """`running` jobs without a heartbeat for stale_after_s → queued (or failed); their ids."""
        ...

    def lost_queued(self, *, older_than_s: float) -> list[str]: ...

    def touch(self, delivery_ids: list[str], *, older_than_s: float) -> list[str]:
        """Mark old `queued` jobs as just enqueued; the ids this call touched (others won)."""
        ...

    def prune(self, *, older_than_s: float = DELIVERY_TTL_S) -> None:
        """Forget finished jobs and deliveries older than older_than_s."""
        ...

    def spent_today(self, installation_id: int | None) -> float: ...

    def reserve(self, delivery_id: str, *, owner: str, amount: float, cap: float) -> float:
        """Set aside up to `amount` of the installation's daily budget `cap` for the running
        job and return what was granted: at most what the cap leaves after today's spend and
        the reservations of the installation's other running jobs (never below 0). A job's
        reservation replaces its earlier one and ends with the run (finish, release, lease
        lost); 0 when the job no longer runs as `owner`."""
        ...

    def claim_notice(self, *, repo: str, number: int) -> bool:
        """True the first time today (UTC) for this PR: post the budget notice."""
        ...

    def counts(self) -> dict[str, int]: ...

    def save_feedback(self, repo: str, stats: str) -> None:
        """Keep one repository's feedback figures (JSON, bot.review.feedback.FeedbackStats)."""
        ...

    def load_feedback(self, *, newer_than_s: float) -> dict[str, tuple[str, float]]:
        """repo -> (figures, when saved) for figures saved within the last newer_than_s."""
        ...

    def ping(self) -> None:
        """Read and write the store as a delivery does; StoreError when either fails.

        A store that reads but cannot write (a read-only file, a corrupted page, a full disk,
        Redis out of memory or refusing writes) would answer every delivery with 503.
        """
        ...

    def close(self) -> None: ...


def pr_key(repo: str, number: int) -> str:
    return f"{repo}#{number}"


def newer_head_detail(head_sha: str) -> str:
    return f"newer head {head_sha}"


def installation_key(installation_id: int | None) -> str:
    """How spend is keyed per installation; jobs without one (plain token) share "none"."""
    return "none" if installation_id is None else str(installation_id)


def granted_amount(amount: float, cap: float, *, spent: float, others: float) -> float:
    """What a reservation of `amount` gets under the daily `cap` (Store.reserve)."""
    return max(0.0, min(float(amount), float(cap) - float(spent) - float(others)))


def utc_day(now: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(now))


def final_state(result: JobResult) -> JobState:
    """The record state a reviewer's result leaves behind."""
    if result.status == "superseded":
        return "superseded"
    return "failed" if result.status == "failed" else "done"
