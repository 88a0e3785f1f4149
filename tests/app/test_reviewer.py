"""The App reviewer's record of a run: how a GitHubOutcome becomes the job's JobResult."""

from __future__ import annotations

import pytest

from bot.app.jobs import JobResult
from bot.app.reviewer import job_result
from bot.github.run import GitHubOutcome
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
