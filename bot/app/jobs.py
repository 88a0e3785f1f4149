"""The seam between the webhook service and the review engine: jobs, results, protocols."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, get_args

from bot.github.run import OutcomeStatus
from bot.github.triggers import Talk
from bot.github.triggers import Trigger as Trigger  # re-exported for the App modules

JobKind = Trigger | Talk  # a review, or an answer to a comment

ResultStatus = OutcomeStatus  # a job ends as its run did


@dataclass(frozen=True)
class ReviewJob:
    delivery_id: str
    installation_id: int | None
    repo: str  # "owner/name"
    number: int
    head_sha: str | None  # from the payload; None for issue_comment and check_run (current head)
    # pull_request event / "/review" / "/review full" / a check run's Re-run; or an answer:
    # "/ask" / a reply in one of the bot's review threads
    trigger: JobKind
    requested_by: str | None = None
    # The comment of a `/review` or an answer (read again when an answer runs).
    comment_id: int | None = None

    @property
    def run_key(self) -> str:
        """What the posted review is marked with, so that running the job again finds it
        instead of paying for another: the comment of a `/review` (replayed under a new
        delivery id however late, it is the same request), else the delivery."""
        if self.trigger in ("command", "command_full") and self.comment_id is not None:
            return f"comment-{self.comment_id}"
        return self.delivery_id

    @property
    def is_answer(self) -> bool:
        """An answer to `/ask` or to a reply in a review thread, not a review."""
        return self.trigger in get_args(Talk)


@dataclass(frozen=True)
class JobResult:
    status: ResultStatus
    detail: str = ""
    cost_usd: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    review_url: str | None = None
    feedback: str | None = None  # the repository's feedback figures (JSON), when refreshed


class JobContext(Protocol):
    # The installation's daily budget left when the job started (None: no daily budget).
    budget_left_usd: float | None

    def reserve_budget(self, worst_usd: float) -> float | None:
        """Set aside the job's share of the daily budget for a run that can cost at most
        `worst_usd`, and return it (what the run may spend); None: no daily budget."""
        ...

    def heartbeat(self) -> None: ...  # the reviewer calls this between stages

    def cancelled(self) -> bool: ...  # True once a newer head or a close superseded this job


class Reviewer(Protocol):
    def review(self, job: ReviewJob, ctx: JobContext) -> JobResult: ...

    def post_notice(self, job: ReviewJob, text: str) -> None: ...  # e.g. daily budget reached
