"""Prometheus metrics for one app instance (its own CollectorRegistry; names `grok_review_*`)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from bot.app.feedback_metrics import FeedbackCollector
from bot.app.jobs import JobResult
from bot.app.store import JOB_STATES, StoreError

log = logging.getLogger(__name__)

_DURATION_BUCKETS = (1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1200)


class Metrics:
    """Counters the web handler and the workers of this process update."""

    def __init__(
        self, *, store: _CountsSource | None = None, queue: _DepthSource | None = None
    ) -> None:
        self.registry = CollectorRegistry()
        self.deliveries = Counter(
            "grok_review_webhook_deliveries",
            "Webhook deliveries by event and outcome.",
            ["event", "outcome"],
            registry=self.registry,
        )
        self.jobs_finished = Counter(
            "grok_review_jobs_finished",
            "Review jobs this process finished, by result status.",
            ["status"],
            registry=self.registry,
        )
        self.jobs_timed_out = Counter(
            "grok_review_jobs_timed_out",
            "Review jobs this process abandoned after job_timeout_s (recorded as failed).",
            registry=self.registry,
        )
        self.review_seconds = Histogram(
            "grok_review_review_duration_seconds",
            "Wall time of one review job.",
            buckets=_DURATION_BUCKETS,
            registry=self.registry,
        )
        self.tokens = Counter(
            "grok_review_model_tokens",
            "Model tokens used by reviews, by kind.",
            ["kind"],
            registry=self.registry,
        )
        self.cost = Counter(
            "grok_review_model_cost_usd", "Model cost of reviews in USD.", registry=self.registry
        )
        self.errors = Counter(
            "grok_review_errors",
            "Errors by where they happened.",
            ["where"],
            registry=self.registry,
        )
        if store is not None or queue is not None:
            self.registry.register(_StateCollector(store=store, queue=queue, errors=self.errors))
        if store is not None:
            self.registry.register(FeedbackCollector(store))

    def observe_result(self, result: JobResult, *, seconds: float) -> None:
        self.jobs_finished.labels(result.status).inc()
        self.review_seconds.observe(seconds)
        self.observe_usage(result)

    def observe_usage(self, result: JobResult) -> None:
        self.tokens.labels("prompt").inc(result.prompt_tokens)
        self.tokens.labels("completion").inc(result.completion_tokens)
        self.cost.inc(result.cost_usd)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _CountsSource(Protocol):
    def counts(self) -> dict[str, int]: ...

    def load_feedback(self, *, newer_than_s: float) -> dict[str, tuple[str, float]]: ...


class _DepthSource(Protocol):
    def depth(self) -> int: ...


class _StateCollector(Collector):
    """Read at scrape time from the shared store, so the numbers cover every process."""

    def __init__(
        self, *, store: _CountsSource | None, queue: _DepthSource | None, errors: Counter
    ) -> None:
        self._store = store
        self._queue = queue
        self._errors = errors

    def collect(self) -> Iterable[Metric]:
        try:
            if self._queue is not None:
                yield GaugeMetricFamily(
                    "grok_review_queue_depth",
                    "Messages waiting in the task queue (queued and scheduled).",
                    value=self._queue.depth(),
                )
            if self._store is not None:
                jobs = GaugeMetricFamily(
                    "grok_review_jobs", "Job records by state.", labels=["state"]
                )
                counts = self._store.counts()
                for state in JOB_STATES:
                    jobs.add_metric([state], counts.get(state, 0))
                yield jobs
        except StoreError as exc:
            self._errors.labels("metrics").inc()
            log.warning("metrics: store unavailable", extra={"error": str(exc)})
