"""The webhook app's reviewer: a cached GitHub client per installation, one review per job."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from bot.app.jobs import JobContext, JobResult, ResultStatus, ReviewJob
from bot.config import FeedbackConfig
from bot.context.cache import SnapshotCache
from bot.errors import BotError
from bot.github.api import GitHubClient
from bot.github.ask import answer_question
from bot.github.render import render_notice
from bot.github.review import review_pull_request
from bot.github.run import GitHubOutcome, outcome_status
from bot.github.stats import collect_stats
from bot.github.talk import TalkOutcome
from bot.github.thread import answer_thread_reply
from bot.model.ladder import ServerMemory
from bot.models import Usage
from bot.review.feedback import can_write
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.review.tools import BudgetGrant

log = logging.getLogger(__name__)

INSTALLATION_CLIENT_TTL_S = 50 * 60  # installation tokens live an hour


class AppReviewer:
    """The webhook app's reviewer: one cached client per installation, one call per job."""

    def __init__(
        self,
        settings: Settings,
        *,
        client_for: Callable[[int | None], GitHubClient] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._client_for = client_for or self._new_client
        self._clock = clock
        self._clients: dict[int | None, tuple[GitHubClient, float]] = {}
        self._figures_at: dict[str, float] = {}  # repo -> when its figures were last read
        self._lock = threading.Lock()
        # Our own comments made through the App are never answered (None: no numeric App ID).
        given = settings.github_app_id
        self._app_id = int(given) if given and given.isdigit() else None
        self._snapshots = SnapshotCache(
            settings.data_dir / "snapshots", max_bytes=settings.snapshot_cache_mb << 20
        )
        # How the model server takes structured output, learned once for every job here.
        self.servers = ServerMemory()

    def _new_client(self, installation_id: int | None) -> GitHubClient:
        if installation_id is None:
            return GitHubClient.from_token(self._settings)
        return GitHubClient.for_installation(self._settings, installation_id)

    def client(self, installation_id: int | None) -> GitHubClient:
        """A client for the installation, rebuilt shortly before its token would expire."""
        with self._lock:
            cached = self._clients.get(installation_id)
            if cached is not None and self._clock() - cached[1] < INSTALLATION_CLIENT_TTL_S:
                return cached[0]
            client = self._client_for(installation_id)
            self._clients[installation_id] = (client, self._clock())
            return client

    def review(self, job: ReviewJob, ctx: JobContext) -> JobResult:
        def cancelled() -> bool:
            ctx.heartbeat()
            return ctx.cancelled()

        try:
            client = self.client(job.installation_id)
            if job.comment_id is not None and job.trigger in ("command", "command_full", "ask"):
                # Seen and at work: the person who asked sees it on their comment at once.
                client.acknowledge(job.repo, job.comment_id)
            if job.trigger == "ask" or job.trigger == "reply":  # narrows the type for mypy
                answered = self._answer(client, job, stop=cancelled, budget=ctx.reserve_budget)
                return talk_result(answered)
            refusal = self._rerun_refusal(client, job)
            if refusal is not None:
                return JobResult(status="skipped", detail=refusal)
            outcome = review_pull_request(
                self._settings,
                client,
                repo=job.repo,
                number=job.number,
                trigger=job.trigger,
                post=True,
                expected_head=job.head_sha,
                on_event=lambda event: ctx.heartbeat(),
                cancelled=cancelled,
                run_key=job.run_key,
                snapshot_cache=self._snapshots,
                servers=self.servers,
                budget=ctx.reserve_budget,
            )
        except BotError as exc:
            return JobResult(status="failed", detail=exc.message)
        return replace(job_result(outcome), feedback=self._feedback_figures(client, job.repo))

    def _answer(
        self,
        client: GitHubClient,
        job: ReviewJob,
        *,
        stop: Callable[[], bool],
        budget: BudgetGrant,
    ) -> TalkOutcome:
        """An /ask or a reply in one of the bot's threads: at most one comment."""
        repo, number, comment_id = job.repo, job.number, job.comment_id or 0
        if job.trigger == "ask":
            return answer_question(
                self._settings,
                client,
                repo=repo,
                number=number,
                comment_id=comment_id,
                snapshot_cache=self._snapshots,
                servers=self.servers,
                app_id=self._app_id,
                stop=stop,
                budget=budget,
            )
        return answer_thread_reply(
            self._settings,
            client,
            repo=repo,
            number=number,
            comment_id=comment_id,
            servers=self.servers,
            app_id=self._app_id,
            stop=stop,
        )

    def _rerun_refusal(self, client: GitHubClient, job: ReviewJob) -> str | None:
        """Why a check run's Re-run may not start a review (None: it may).

        check_run payloads carry no author_association, so the `/review` gate (OWNER, MEMBER,
        COLLABORATOR) cannot apply; the person's repository permission says directly whether
        they may push, which is what that gate stands for.
        """
        if job.trigger != "rerun":
            return None
        who = job.requested_by or ""
        permission = client.repository_permission(job.repo, who) if who else "none"
        if can_write(permission):
            return None
        return f"re-run by {who or 'unknown'} ({permission} access): only writers may re-run"

    def _feedback_figures(self, client: GitHubClient, repo: str) -> str | None:
        """The repository's feedback figures when due (at most every feedback_refresh_s per
        repository in this process), as JSON for the metrics; None when not due or failed."""
        now = self._clock()
        with self._lock:
            last = self._figures_at.get(repo)
            if last is not None and now - last < self._settings.feedback_refresh_s:
                return None
            self._figures_at[repo] = now
        try:
            stats = collect_stats(client, repo, days=FeedbackConfig().days)
        except BotError as exc:
            log.warning("feedback figures not read", extra={"repo": repo, "error": exc.message})
            return None
        return stats.model_dump_json()

    def post_notice(self, job: ReviewJob, text: str) -> None:
        client = self.client(job.installation_id)
        client.create_issue_comment(job.repo, job.number, render_notice(text))


def job_result(outcome: GitHubOutcome) -> JobResult:
    """The app's record of a run: status, a short detail, and what the model cost."""
    usage = outcome.review.usage if outcome.review is not None else None
    status: ResultStatus = outcome_status(outcome)
    if status == "failed":
        detail = outcome.error or ""
    elif status == "posted":
        detail = "; ".join(outcome.notes)
    elif status == "superseded":
        detail = "a newer head or a close replaced this job"
    else:
        detail = outcome.skipped_reason or "; ".join(outcome.notes)
    return _job_result(status, detail, usage, url=outcome.review_url)


def talk_result(outcome: TalkOutcome) -> JobResult:
    """The app's record of an answer: failed when the model failed (a comment says so)."""
    usage = outcome.reply.usage if outcome.reply is not None else None
    status: ResultStatus
    if outcome.error:
        status, detail = "failed", outcome.error
        detail += "; a comment says so" if outcome.posted else ""
    elif outcome.posted:
        status, detail = "posted", "answered"
    elif outcome.skipped_reason == "superseded":  # stopped before posting, like a review
        status, detail = "superseded", "the pull request was closed, or the job stopped"
    else:
        status, detail = "skipped", outcome.skipped_reason or ""
    return _job_result(status, detail, usage, url=outcome.url)


def _job_result(
    status: ResultStatus, detail: str, usage: Usage | None, *, url: str | None
) -> JobResult:
    return JobResult(
        status=status,
        detail=detail,
        cost_usd=usage.cost_usd if usage else 0.0,
        prompt_tokens=usage.prompt_tokens if usage else 0,
        completion_tokens=usage.completion_tokens if usage else 0,
        review_url=url,
    )


def make_app_reviewer(settings: Settings) -> AppReviewer:
    """The reviewer the webhook service's workers call (bot.app.jobs.Reviewer)."""
    return AppReviewer(settings)
