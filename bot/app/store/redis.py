"""The job store in Redis, so web and worker processes on many machines share one state."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, cast

import redis

from bot.app.jobs import JobKind, JobResult, ReviewJob
from bot.app.store import redis_lua as lua
from bot.app.store.base import (
    CLOSED_DETAIL,
    DELIVERY_TTL_S,
    PROBE_KEY,
    REDIS_PREFIX,
    Accepted,
    AcceptOutcome,
    Claim,
    ClaimOutcome,
    JobRecord,
    JobState,
    StoreError,
    StoreKind,
    installation_key,
    newer_head_detail,
    pr_key,
    utc_day,
)
from bot.errors import ConfigError


class RedisStore:
    """Keys live under `prefix:`; each multi-key change is one Lua script (atomic)."""

    kind: StoreKind = "redis"

    def __init__(self, url: str, *, clock: Callable[[], float] = time.time) -> None:
        self._prefix = REDIS_PREFIX
        self._clock = clock
        self._closed = False
        try:
            self._r = redis.Redis.from_url(url, decode_responses=True)
        except ValueError as exc:
            raise ConfigError(f"GROK_REVIEW_REDIS_URL: {exc}") from None
        self._scripts = {name: self._r.register_script(getattr(lua, name)) for name in lua.SCRIPTS}

    def accept(self, job: ReviewJob, *, replay_key: str = "") -> Accepted:
        out = self._run(
            "ACCEPT",
            job.delivery_id,
            self._clock(),
            DELIVERY_TTL_S,
            job.repo,
            job.number,
            job.head_sha or "",
            job.trigger,
            "" if job.installation_id is None else job.installation_id,
            job.requested_by or "",
            newer_head_detail(job.head_sha) if job.head_sha else "",
            replay_key,
            "" if job.comment_id is None else job.comment_id,
        )
        return Accepted(cast(AcceptOutcome, out[0]), tuple(out[1:]))

    def cancel_pr(
        self, *, delivery_id: str, repo: str, number: int, replay_key: str = ""
    ) -> tuple[str, ...] | None:
        now = self._clock()
        args = (delivery_id, now, DELIVERY_TTL_S, repo, number, CLOSED_DETAIL, replay_key)
        out = self._run("CANCEL", *args)
        return None if out[0] == "replayed" else tuple(out[1:])

    def claim(self, delivery_id: str, *, owner: str, lock_ttl_s: float) -> Claim:
        ttl_ms = max(1, int(lock_ttl_s * 1000))
        out = self._run("CLAIM", delivery_id, owner, self._clock(), ttl_ms)
        return Claim(cast(ClaimOutcome, out), self.get(delivery_id))

    def heartbeat(self, delivery_id: str, *, owner: str, lock_ttl_s: float) -> bool:
        ttl_ms = max(1, int(lock_ttl_s * 1000))
        return bool(self._run("HEARTBEAT", delivery_id, owner, self._clock(), ttl_ms))

    def is_current(self, delivery_id: str, *, owner: str) -> bool:
        with self._errors():
            state, current = self._r.hmget(self._job(delivery_id), ["state", "owner"])
        return bool(state == "running" and current == owner)

    def release(self, delivery_id: str, *, owner: str) -> bool:
        return bool(self._run("RELEASE", delivery_id, owner, self._clock()))

    def finish(self, delivery_id: str, *, owner: str, state: JobState, result: JobResult) -> bool:
        now = self._clock()
        return bool(
            self._run(
                "FINISH",
                delivery_id,
                owner,
                state,
                result.status,
                result.detail,
                repr(float(result.cost_usd)),
                utc_day(now),
                now,
            )
        )

    def get(self, delivery_id: str) -> JobRecord | None:
        with self._errors():
            fields = cast(dict[str, str], self._r.hgetall(self._job(delivery_id)))
        return _record(delivery_id, fields) if fields else None

    def revive_stale(self, *, stale_after_s: float, max_attempts: int) -> list[str]:
        now = self._clock()
        return list(self._run("REVIVE", now, now - stale_after_s, max_attempts))

    def lost_queued(self, *, older_than_s: float) -> list[str]:
        cutoff = self._clock() - older_than_s
        return [
            delivery_id
            for delivery_id, (state, touched) in self._active_fields("state", "touched")
            if state == "queued" and float(touched or 0) < cutoff
        ]

    def touch(self, delivery_ids: list[str], *, older_than_s: float) -> list[str]:
        if not delivery_ids:
            return []
        now = self._clock()
        return list(self._run("TOUCH", now, now - older_than_s, *delivery_ids))

    def prune(self, *, older_than_s: float = DELIVERY_TTL_S) -> None:
        """Nothing to do: every key carries a TTL."""

    def reserve(self, delivery_id: str, *, owner: str, amount: float, cap: float) -> float:
        day = utc_day(self._clock())
        granted = self._run(
            "RESERVE", delivery_id, owner, repr(float(amount)), repr(float(cap)), day
        )
        return float(granted)

    def spent_today(self, installation_id: int | None) -> float:
        inst = installation_key(installation_id)
        with self._errors():
            value = self._r.get(f"{self._prefix}:spend:{inst}:{utc_day(self._clock())}")
        return float(value) if value else 0.0

    def claim_notice(self, *, repo: str, number: int) -> bool:
        key = f"{self._prefix}:notice:{pr_key(repo, number)}:{utc_day(self._clock())}"
        with self._errors():
            return bool(self._r.set(key, "1", nx=True, ex=2 * 86400))

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for _, (state,) in self._active_fields("state"):
            if state:
                counts[state] = counts.get(state, 0) + 1
        with self._errors():
            finished = cast(dict[str, str], self._r.hgetall(f"{self._prefix}:finished"))
        counts.update({state: int(n) for state, n in finished.items()})
        return counts

    def save_feedback(self, repo: str, stats: str) -> None:
        entry = json.dumps({"saved": self._clock(), "stats": stats})
        with self._errors():
            self._r.hset(f"{self._prefix}:feedback", repo, entry)

    def load_feedback(self, *, newer_than_s: float) -> dict[str, tuple[str, float]]:
        with self._errors():
            rows = cast(dict[str, str], self._r.hgetall(f"{self._prefix}:feedback"))
        cutoff = self._clock() - newer_than_s
        entries = {repo: json.loads(raw) for repo, raw in sorted(rows.items())}
        return {
            repo: (str(e["stats"]), float(e["saved"]))
            for repo, e in entries.items()
            if float(e["saved"]) >= cutoff
        }

    def ping(self) -> None:
        with self._errors():
            # A write, as every delivery makes: refused when Redis is a read-only replica,
            # out of memory (noeviction), failing its snapshots (MISCONF) or short of replicas.
            self._r.set(f"{self._prefix}:delivery:{PROBE_KEY}", self._clock(), ex=DELIVERY_TTL_S)

    def close(self) -> None:
        self._closed = True
        self._r.close()

    # --- plumbing ------------------------------------------------------------------------

    def _job(self, delivery_id: str) -> str:
        return f"{self._prefix}:job:{delivery_id}"

    def _active_fields(self, *names: str) -> Iterator[tuple[str, list[str | None]]]:
        """Fields of the jobs in the `active` set (those in ACTIVE_STATES)."""
        with self._errors():
            ids = sorted(cast(set[str], self._r.smembers(f"{self._prefix}:active")))
            pipe = self._r.pipeline(transaction=False)
            for delivery_id in ids:
                pipe.hmget(self._job(delivery_id), list(names))
            rows = pipe.execute()
        yield from zip(ids, rows, strict=True)

    def _run(self, script: str, *args: Any) -> Any:
        with self._errors():
            return self._scripts[script](keys=[], args=[self._prefix, *args])

    @contextmanager
    def _errors(self) -> Iterator[None]:
        if self._closed:
            raise StoreError("job store is closed")
        try:
            yield
        except redis.RedisError as exc:
            raise StoreError(f"job store (redis): {exc}") from None


def _record(delivery_id: str, f: dict[str, str]) -> JobRecord:
    installation = f.get("installation_id") or ""
    job = ReviewJob(
        delivery_id=delivery_id,
        installation_id=int(installation) if installation else None,
        repo=f["repo"],
        number=int(f["number"]),
        head_sha=f.get("head_sha") or None,
        trigger=cast(JobKind, f["trigger"]),
        requested_by=f.get("requested_by") or None,
        comment_id=int(f["comment_id"]) if f.get("comment_id") else None,
    )
    return JobRecord(
        job=job,
        state=cast(JobState, f["state"]),
        attempts=int(f.get("attempts") or 0),
        owner=f.get("owner") or None,
        touched=float(f.get("touched") or 0),
        status=f.get("status", ""),
        detail=f.get("detail", ""),
    )
