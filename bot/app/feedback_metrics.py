"""Feedback figures per repository as Prometheus gauges, read from the job store at scrape.

Workers refresh a repository's figures after a job in it (bot.app.reviewer, at most every
`feedback_refresh_s`), so a scrape reads the store and never calls GitHub. Labels stay few:
`repo` (repositories with figures saved in the last STALE_AFTER_S), `category` (14 values at
most), `severity` (5) and `reaction` (3); only combinations that occur are exported.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Protocol

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from pydantic import ValidationError

from bot.app.store import StoreError
from bot.review.feedback import Bucket, FeedbackStats

log = logging.getLogger(__name__)

STALE_AFTER_S = 30 * 86400  # a repository with no job for a month drops out of the metrics
_REACTIONS = ("thumbs_up", "thumbs_down", "confused")


class _FeedbackSource(Protocol):
    def load_feedback(self, *, newer_than_s: float) -> dict[str, tuple[str, float]]: ...


class FeedbackCollector(Collector):
    def __init__(self, store: _FeedbackSource) -> None:
        self._store = store

    def collect(self) -> Iterable[Metric]:
        try:
            rows = self._store.load_feedback(newer_than_s=STALE_AFTER_S)
        except StoreError as exc:
            log.warning("metrics: feedback figures unavailable", extra={"error": str(exc)})
            return
        figures: list[tuple[FeedbackStats, float]] = []
        for repo, (text, saved) in rows.items():
            try:
                figures.append((FeedbackStats.model_validate_json(text), saved))
            except ValidationError:
                log.warning("metrics: unreadable feedback figures", extra={"repo": repo})
        yield from _families(figures)


def _families(figures: list[tuple[FeedbackStats, float]]) -> Iterable[Metric]:
    def gauge(name: str, doc: str, *labels: str) -> GaugeMetricFamily:
        return GaugeMetricFamily(f"grok_review_feedback_{name}", doc, labels=["repo", *labels])

    reviews = gauge("reviews", "Reviews that left inline comments, in the window.")
    suggestions = gauge("suggestions", "Inline comments offering a one-click suggestion.")
    applied = gauge("suggestions_applied", "Suggestions whose lines were committed later.")
    muted = gauge("muted", "Kinds of finding muted by writers' reactions.")
    updated = gauge("updated_timestamp_seconds", "When the figures were read from GitHub.")
    by = {
        "category": (
            gauge("comments", "Inline comments by category.", "category"),
            gauge("reactions", "Writers' reactions by category.", "category", "reaction"),
            gauge("addressed", "Comments whose line a later push changed.", "category"),
        ),
        "severity": (
            gauge("severity_comments", "Inline comments by severity.", "severity"),
            gauge("severity_reactions", "Writers' reactions by severity.", "severity", "reaction"),
            gauge("severity_addressed", "Comments whose line a later push changed.", "severity"),
        ),
    }
    for stats, saved in figures:
        repo = stats.repo
        reviews.add_metric([repo], stats.reviews)
        suggestions.add_metric([repo], stats.suggestions)
        if stats.suggestions_applied is not None:
            applied.add_metric([repo], stats.suggestions_applied)
        muted.add_metric([repo], len(stats.muted))
        updated.add_metric([repo], saved)
        for kind, buckets in (("category", stats.by_category), ("severity", stats.by_severity)):
            comments, reactions, addressed = by[kind]
            for name, bucket in buckets.items():
                comments.add_metric([repo, name], bucket.comments)
                addressed.add_metric([repo, name], bucket.addressed)
                for reaction in _REACTIONS:
                    reactions.add_metric([repo, name, reaction], _count(bucket, reaction))
    yield from (reviews, suggestions, applied, muted, updated)
    for families in by.values():
        yield from families


def _count(bucket: Bucket, reaction: str) -> int:
    return int(getattr(bucket, reaction))
