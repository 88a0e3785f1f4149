"""The webhook web app: verify, record, enqueue and answer fast; health and metrics endpoints."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool

from bot.app.events import HANDLED_EVENTS, Cancel, Enqueue, Ignore, Invalid, Note, Pong, decide
from bot.app.jobs import Reviewer
from bot.app.metrics import Metrics
from bot.app.metrics_http import health
from bot.app.pool import WorkerPool
from bot.app.queue import JobQueue
from bot.app.signature import verify_signature
from bot.app.store import StoreError
from bot.errors import ConfigError

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger(__name__)

MAX_BODY = 25 * 1024 * 1024  # GitHub never delivers more; anything bigger is not from GitHub
# GitHub's delivery ids are GUIDs; anything else is at least short and plain, and has no
# `:`, which replay keys (`comment:…`, `body:…`) kept beside delivery ids always have.
_DELIVERY = re.compile(r"[A-Za-z0-9_.-]{1,100}")
_DELIVERY_MAX = 100


def create_app(
    settings: Settings,
    *,
    queue: JobQueue,
    reviewer: Reviewer | None,
    workers: int = 2,
    grace_s: float | None = None,
) -> FastAPI:
    """The FastAPI app; with a reviewer it also runs `workers` job threads while it is up.

    grace_s: how long shutdown waits for running jobs (default: `shutdown_grace_s`).
    """
    secret = settings.github_webhook_secret
    if not secret:
        raise ConfigError("missing GITHUB_WEBHOOK_SECRET")
    metrics = Metrics(store=queue.store, queue=queue)
    app_id = settings.github_app_id
    hooks = _Webhooks(
        secret=secret,
        queue=queue,
        metrics=metrics,
        app_id=int(app_id) if app_id and app_id.isdigit() else None,
        budget=BodyBudget(settings.webhook_buffer_mb * 1024 * 1024),
        body_timeout_s=settings.webhook_body_timeout_s,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        pool = None
        if reviewer is not None:
            pool = WorkerPool(queue, reviewer, settings=settings, metrics=metrics, workers=workers)
            pool.start()
        try:
            yield
        finally:
            if pool is not None:
                grace = settings.shutdown_grace_s if grace_s is None else grace_s
                await run_in_threadpool(pool.stop, grace_s=grace)

    app = FastAPI(
        title="grok-review", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None
    )

    @app.post("/webhook")
    async def webhook(request: Request) -> Response:
        return await hooks.handle(request)

    @app.get("/healthz")
    async def healthz() -> Response:
        status, body = await run_in_threadpool(health, queue)
        return JSONResponse(body, status_code=status)

    @app.get("/metrics")
    async def metrics_text() -> Response:
        text = await run_in_threadpool(metrics.render)
        return Response(text, media_type=CONTENT_TYPE_LATEST)

    return app


class _Webhooks:
    """POST /webhook, in the order the contract fixes: size, signature, headers, JSON, event."""

    def __init__(
        self,
        *,
        secret: str,
        queue: JobQueue,
        metrics: Metrics,
        app_id: int | None,
        budget: BodyBudget,
        body_timeout_s: float,
    ) -> None:
        self._secret = secret
        self._queue = queue
        self._metrics = metrics
        self._app_id = app_id
        self._budget = budget
        self._body_timeout_s = body_timeout_s

    async def handle(self, request: Request) -> Response:
        held = _Held(self._budget)
        try:
            body = await _read_body(request, held=held, timeout_s=self._body_timeout_s)
            if isinstance(body, Response):
                self._metrics.deliveries.labels("unverified", "rejected").inc()
                return body
            header = request.headers.get("x-hub-signature-256")
            verified = verify_signature(secret=self._secret, body=body, header=header)
        finally:
            held.release()  # verified or not, this body no longer counts against the budget
        if not verified:
            return self._reply(401, "unverified", "bad_signature", "signature missing or wrong")
        event = request.headers.get("x-github-event")
        if not event:
            return self._reply(400, "unverified", "bad_request", "missing X-GitHub-Event")
        label = event if event in HANDLED_EVENTS else "other"  # metric labels stay few
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
            return self._reply(400, label, "bad_request", "body is not JSON")
        if not isinstance(payload, dict):
            return self._reply(400, label, "bad_request", "body is not a JSON object")
        delivery = request.headers.get("x-github-delivery", "")
        digest = hashlib.sha256(body).hexdigest()
        outcome, detail = await self._dispatch(event, payload, delivery=delivery, digest=digest)
        status = _STATUS.get(outcome, 202)
        log.info(
            "webhook delivery",
            extra={
                "delivery": delivery[:_DELIVERY_MAX],
                "event": event[:_DELIVERY_MAX],
                "action": str(payload.get("action"))[:_DELIVERY_MAX],
                "outcome": outcome,
                "detail": detail,
            },
        )
        return self._reply(status, label, outcome, detail)

    async def _dispatch(
        self, event: str, payload: dict[str, Any], *, delivery: str, digest: str
    ) -> tuple[str, str]:
        decision = decide(
            event, payload, delivery_id=delivery, app_id=self._app_id, body_digest=digest
        )
        if isinstance(decision, Pong):
            return "pong", "pong"
        if isinstance(decision, Ignore | Note):
            return ("ignored" if isinstance(decision, Ignore) else "noted"), decision.reason
        if isinstance(decision, Invalid):
            return "bad_request", decision.reason
        if not delivery:
            return "bad_request", "missing X-GitHub-Delivery"
        if not _DELIVERY.fullmatch(delivery):  # a key in the store and in review markers
            return "bad_request", "malformed X-GitHub-Delivery"
        try:
            return await run_in_threadpool(self._record, decision)
        except StoreError as exc:
            self._metrics.errors.labels("webhook").inc()
            log.error("cannot record delivery", extra={"delivery": delivery, "error": str(exc)})
            return "unavailable", "job store unavailable"

    def _record(self, decision: Enqueue | Cancel) -> tuple[str, str]:
        """Durably record (and enqueue) before GitHub hears 202."""
        store = self._queue.store
        if isinstance(decision, Cancel):
            cancelled = store.cancel_pr(
                delivery_id=decision.delivery_id,
                repo=decision.repo,
                number=decision.number,
                replay_key=decision.replay_key,
            )
            if cancelled is None:
                return "replayed", "delivery already handled"
            return "cancelled", f"cancelled {len(cancelled)} job(s)"
        job = decision.job
        accepted = store.accept(job, replay_key=decision.replay_key)
        if accepted.outcome == "queued":
            # If this fails the record stays `queued`: GitHub hears 503, the sweeper enqueues it.
            self._queue.submit(job.delivery_id)
            note = f"; superseded {len(accepted.superseded)}" if accepted.superseded else ""
            return "queued", f"{job.repo}#{job.number} {job.trigger}{note}"
        return accepted.outcome, f"{job.repo}#{job.number}"

    def _reply(self, status: int, label: str, outcome: str, detail: str) -> Response:
        self._metrics.deliveries.labels(label, outcome).inc()
        return JSONResponse({"outcome": outcome, "detail": detail}, status_code=status)


_STATUS = {"pong": 200, "bad_request": 400, "unavailable": 503}


class BodyBudget:
    """Bytes of webhook bodies held before their signature is checked, all requests together.

    Anyone can send a body, and it must be read whole before its signature can be checked:
    without a cap, parallel unsigned 25 MB posts buffer gigabytes. Used from the event loop
    only, so no lock.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def take(self, size: int) -> bool:
        if self.used + size > self.limit:
            return False
        self.used += size
        return True

    def give(self, size: int) -> None:
        self.used -= size


class _Held:
    """What one request holds of the budget."""

    def __init__(self, budget: BodyBudget) -> None:
        self.budget = budget
        self.size = 0

    def grow_to(self, size: int) -> bool:
        if size <= self.size:
            return True
        if not self.budget.take(size - self.size):
            return False
        self.size = size
        return True

    def release(self) -> None:
        self.budget.give(self.size)
        self.size = 0


async def _read_body(request: Request, *, held: _Held, timeout_s: float) -> bytes | Response:
    """The raw body, or 413 as soon as it is known to be too big (before reading when we can),
    503 when bodies in flight fill the budget, 408 when it does not arrive in time."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not (declared.isascii() and declared.isdigit()):
            return _error(400, "bad Content-Length")
        if int(declared) > MAX_BODY:
            return _error(413, "payload larger than 25 MB")
        if not held.grow_to(int(declared)):  # all of it up front: refused before reading
            return _busy()
    body = bytearray()
    try:
        async with asyncio.timeout(timeout_s):
            async for chunk in request.stream():
                body += chunk
                if len(body) > MAX_BODY:
                    return _error(413, "payload larger than 25 MB")
                if not held.grow_to(len(body)):
                    return _busy()
    except TimeoutError:
        return _error(408, f"body not received within {timeout_s:g} s")
    return bytes(body)


def _busy() -> Response:
    log.warning("webhook body refused: the buffer for unverified bodies is full")
    return _error(503, "too many webhook bodies in flight", retry_after=True)


def _error(status: int, detail: str, *, retry_after: bool = False) -> Response:
    # Close: the client may still be sending a body we will not read.
    headers = {"Connection": "close"}
    if retry_after:
        headers["Retry-After"] = "1"
    return JSONResponse(
        {"outcome": "rejected", "detail": detail}, status_code=status, headers=headers
    )
