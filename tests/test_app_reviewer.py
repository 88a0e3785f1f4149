"""The App's reviewer: how a run's outcome becomes the job's result, and its client cache."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest_app import make_settings

from bot.app.jobs import JobResult
from bot.app.reviewer import INSTALLATION_CLIENT_TTL_S, AppReviewer, job_result
from bot.github_run import GitHubOutcome
from bot.models import Review, Usage

USAGE = Usage(requests=2, prompt_tokens=1200, completion_tokens=80, cost_usd=0.03)
REVIEW = Review(summary="s", model="grok-code-fast-1", usage=USAGE)


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        (
            GitHubOutcome(review=REVIEW, posted=True, review_url="u", notes=("a", "b")),
            JobResult("posted", "a; b", 0.03, 1200, 80, "u"),
        ),
        (
            GitHubOutcome(review=REVIEW, error="model unavailable", posted=True),
            JobResult("failed", "model unavailable", 0.03, 1200, 80),
        ),
        (
            GitHubOutcome(review=REVIEW, skipped_reason="superseded"),
            JobResult("superseded", "a newer head or a close replaced this job", 0.03, 1200, 80),
        ),
        (GitHubOutcome(skipped_reason="draft"), JobResult("skipped", "draft")),
        (GitHubOutcome(notes=("nothing to review",)), JobResult("skipped", "nothing to review")),
    ],
    ids=["posted", "error-wins", "superseded", "skipped", "skipped-notes"],
)
def test_job_result_of_an_outcome(outcome: GitHubOutcome, expected: JobResult) -> None:
    assert job_result(outcome) == expected


def test_installation_clients_are_cached_until_shortly_before_their_token_expires(
    tmp_path: Path,
) -> None:
    now = [0.0]
    made: list[int | None] = []

    def client_for(installation_id: int | None) -> Any:
        made.append(installation_id)
        return object()

    reviewer = AppReviewer(make_settings(tmp_path), client_for=client_for, clock=lambda: now[0])
    first = reviewer.client(7)
    assert reviewer.client(7) is first and reviewer.client(8) is not first
    now[0] = INSTALLATION_CLIENT_TTL_S - 1
    assert reviewer.client(7) is first
    now[0] = INSTALLATION_CLIENT_TTL_S
    assert reviewer.client(7) is not first
    assert made == [7, 8, 7]
