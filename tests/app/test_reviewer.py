"""The App reviewer's record of a run: how a GitHubOutcome or a TalkOutcome becomes the job's
JobResult, and a job whose GitHub client cannot be made."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app.jobs import JobResult, ReviewJob
from bot.app.reviewer import AppReviewer, job_result, talk_result
from bot.errors import ConfigError
from bot.github.api import GitHubClient
from bot.github.run import GitHubOutcome
from bot.github.talk import TalkOutcome
from bot.models import Review, TextReply, Usage
from tests.app.helpers import make_settings
from tests.fakes.jobs import FakeJobContext

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


REPLY = TextReply("Because.", USAGE)


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        (
            TalkOutcome(posted=True, url="u", reply=REPLY),
            JobResult("posted", "answered", 0.03, 1200, 80, "u"),
        ),
        (
            TalkOutcome(posted=True, error="model unavailable", reply=REPLY),
            JobResult("failed", "model unavailable; a comment says so", 0.03, 1200, 80),
        ),
        (TalkOutcome(error="model unavailable"), JobResult("failed", "model unavailable")),
        (TalkOutcome(skipped_reason="already answered"), JobResult("skipped", "already answered")),
        (
            TalkOutcome(skipped_reason="superseded"),
            JobResult("superseded", "the pull request was closed, or the job stopped"),
        ),
    ],
    ids=["posted", "failed-said-so", "failed", "skipped", "superseded"],
)
def test_job_result_of_an_answer(outcome: TalkOutcome, expected: JobResult) -> None:
    assert talk_result(outcome) == expected


@pytest.mark.parametrize("trigger", ["auto", "command", "ask", "reply"])
def test_a_client_that_cannot_be_made_fails_the_job_in_one_line(
    tmp_path: Path, trigger: str
) -> None:
    """A BotError is the job's failure (not an exception the worker retries), whatever the job."""

    def no_client(installation_id: int | None) -> GitHubClient:
        raise ConfigError("the GitHub App needs GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY")

    reviewer = AppReviewer(make_settings(tmp_path), client_for=no_client)
    job = ReviewJob("d1", 1, "o/r", 1, None, trigger, comment_id=5)  # type: ignore[arg-type]
    result = reviewer.review(job, FakeJobContext())
    assert (result.status, result.detail) == (
        "failed",
        "the GitHub App needs GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY",
    )
