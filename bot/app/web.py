"""The webhook web app: verify, record, enqueue and answer fast; health and metrics endpoints."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool

from bot.app.events import Cancel, Enqueue, Ignore, Invalid, Note, Pong, decide
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
# Metric label values for events; anything else is "other" so labels stay few.
_KNOWN_EVENTS = frozenset(
    {
        "ping",
        "pull_request",
        "issue_comment",
        "check_run",
        "installation",
        "installation_repositories",
    }
)


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
        self, *, secret: str, queue: JobQueue, metrics: Metrics, app_id: int | None
    ) -> None:
        self._secret = secret
        self._queue = queue
        self._metrics = metrics
        self._app_id = app_id

    async def handle(self, request: Request) -> Response:
        body = await _read_body(request)
        if isinstance(body, Response):
            self._metrics.deliveries.labels("unverified", "rejected").inc()
            return body
        header = request.headers.get("x-hub-signature-256")
        if not verify_signature(secret=self._secret, body=body, header=header):
            return self._reply(401, "unverified", "bad_signature", "signature missing or wrong")
        event = request.headers.get("x-github-event")
        if not event:
            return self._reply(400, "unverified", "bad_request", "missing X-GitHub-Event")
        label = event if event in _KNOWN_EVENTS else "other"
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
            return self._reply(400, label, "bad_request", "body is not JSON")
        if not isinstance(payload, dict):
            return self._reply(400, label, "bad_request", "body is not a JSON object")
        delivery = request.headers.get("x-github-delivery", "")
        outcome, detail = await self._dispatch(event, payload, delivery=delivery)
        status = _STATUS.get(outcome, 202)
        log.info(
            "webhook delivery",
            extra={
                "delivery": delivery,
                "event": event,
                "action": payload.get("action"),
                "outcome": outcome,
                "detail": detail,
            },
        )
        return self._reply(status, label, outcome, detail)

    async def _dispatch(
        self, event: str, payload: dict[str, Any], *, delivery: str
    ) -> tuple[str, str]:
        decision = decide(event, payload, delivery_id=delivery, app_id=self._app_id)
        if isinstance(decision, Pong):
            return "pong", "pong"
        if isinstance(decision, Ignore | Note):
            return ("ignored" if isinstance(decision, Ignore) else "noted"), decision.reason
        if isinstance(decision, Invalid):
            return "bad_request", decision.reason
        if not delivery:
            return "bad_request", "missing X-GitHub-Delivery"
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
                delivery_id=decision.delivery_id, repo=decision.repo, number=decision.number
            )
            if cancelled is None:
                return "replayed", "delivery already handled"
            return "cancelled", f"cancelled {len(cancelled)} job(s)"
        job = decision.job
        accepted = store.accept(job)
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


async def _read_body(request: Request) -> bytes | Response:
    """The raw body, or 413 as soon as it is known to be too big (before reading when we can)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not (declared.isascii() and declared.isdigit()):
            return _error(400, "bad Content-Length")
        if int(declared) > MAX_BODY:
            return _error(413, "payload larger than 25 MB")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return _error(413, "payload larger than 25 MB")
    return bytes(body)


def _error(status: int, detail: str) -> Response:
    # Close: the client may still be sending a body we will not read.
    return JSONResponse(
        {"outcome": "rejected", "detail": detail},
        status_code=status,
        headers={"Connection": "close"},
    )
