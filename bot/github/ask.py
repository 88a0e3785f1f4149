"""Answer `/ask QUESTION` on a pull request: one comment, from the diff and the repository.

The comment is read again from GitHub (the App's job keeps only its id), the gates are checked
again on it, and the answer is posted once: an earlier answer naming the comment (its marker)
is looked for first and again right before posting. An empty question gets a short help
reply and no model request; a model failure gets a short comment saying so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import DEFAULT_CONFIG_PATH
from bot.context.cache import SnapshotCache
from bot.context.snapshot import close_snapshot
from bot.errors import BotError, ConfigError, ExitCode
from bot.github.api import GitHubClient
from bot.github.config import fetch_repo_config
from bot.github.run import split_unreviewable
from bot.github.snapshot import snapshot_for
from bot.github.talk import (
    TalkOutcome,
    already_answered,
    render_answer,
    render_failure,
    render_help,
    talk_refusal,
)
from bot.github.triggers import parse_command, parse_question
from bot.models import TextReply
from bot.review.answer import PreparedAnswer, ask_text, prepare_answer

if TYPE_CHECKING:
    from bot.model.ladder import ServerMemory
    from bot.review.tools import BudgetGrant
    from bot.settings import Settings


def answer_question(
    settings: Settings,
    client: GitHubClient,
    *,
    repo: str,
    number: int,
    comment_id: int,
    config_path: str = DEFAULT_CONFIG_PATH,
    workspace: Path | None = None,
    snapshot_cache: SnapshotCache | None = None,
    servers: ServerMemory | None = None,
    app_id: int | None = None,
    stop: Callable[[], bool] | None = None,
    budget: BudgetGrant | None = None,
) -> TalkOutcome:
    """Answer the `/ask` comment `comment_id` on PR `number`, once. GitHub's errors raise;
    the model's become a comment saying the answer failed (exit code 3). `budget`: the
    App's daily budget, asked for the answer's share; the model's tool rounds stay under it."""
    comment = client.fetch_issue_comment(repo, comment_id)
    if comment is None:
        return TalkOutcome(skipped_reason="the comment is gone")
    refusal = talk_refusal(comment, app_id=app_id)
    if refusal is not None:
        return TalkOutcome(skipped_reason=refusal)
    if parse_command(comment.body) != "ask":
        return TalkOutcome(skipped_reason="the comment is no longer an /ask")
    if _answered(client, repo, number, comment_id):
        return TalkOutcome(skipped_reason="already answered")
    question = parse_question(comment.body)
    if not question:
        return _post(client, repo, number, render_help(comment_id), comment_id, stop)
    fetched = client.fetch_pull_request(repo, number)
    model = settings.model
    try:
        config = fetch_repo_config(client, fetched.pr, config_path)
    except ConfigError as exc:
        invalid = f"the repository config on the base branch is not valid ({exc.message})"
        body = render_failure(None, invalid, comment_id=comment_id, model=model)
        outcome = _post(client, repo, number, body, comment_id, stop)
        return replace(outcome, error=invalid, exit_code=ExitCode.BAD_INPUT)
    files, extra = split_unreviewable(fetched.pr.files)
    pr = fetched.pr.model_copy(update={"files": files})
    snapshot, context_note = snapshot_for(
        client, pr, files, config, settings=settings, workspace=workspace, cache=snapshot_cache
    )
    try:
        agents_md = client.fetch_file(repo, "AGENTS.md", ref=pr.base_sha or "")
        prepared = prepare_answer(
            pr,
            config,
            settings,
            question=question,
            asker=comment.login,
            agents_md=agents_md,
            extra_skipped=extra,
            snapshot=snapshot,
            context_note=context_note,
            budget=budget,
        )
        # The snapshot stays open while the model may call tools over it.
        asked = ask_for_answer(settings, prepared, servers=servers)
    finally:
        close_snapshot(snapshot)
    if asked.error is not None:
        body = render_failure(asked.reply, asked.error, comment_id=comment_id, model=model)
    else:
        assert asked.reply is not None
        body = render_answer(
            asked.reply,
            comment_id=comment_id,
            model=model,
            question=question,
            asker=comment.login,
            note=prepared.note,
        )
    return asked.outcome(_post(client, repo, number, body, comment_id, stop), model=model)


@dataclass(frozen=True)
class Asked:
    """The model's answer, or why there is none and the exit code that failure ends with."""

    reply: TextReply | None
    error: str | None = None
    exit_code: ExitCode = ExitCode.REVIEWED

    def outcome(self, posted: TalkOutcome, *, model: str) -> TalkOutcome:
        """What the run did: the comment posting's result with the answer and its failure."""
        code = self.exit_code if self.error is not None else posted.exit_code
        return replace(posted, error=self.error, reply=self.reply, model=model, exit_code=code)


def ask_for_answer(
    settings: Settings, prepared: PreparedAnswer, *, servers: ServerMemory | None
) -> Asked:
    """Ask once; a rejected key or an unknown model (exit 2) is a failure too, not a crash."""
    try:
        reply = ask_text(settings, prepared, servers=servers)
    except BotError as exc:
        return Asked(None, exc.message, ExitCode(exc.exit_code))
    if reply.error is not None:
        return Asked(reply, reply.error, ExitCode.INCOMPLETE)
    return Asked(reply)


def _answered(client: GitHubClient, repo: str, number: int, comment_id: int) -> bool:
    bodies = (c.body for c in client.list_bot_issue_comments(repo, number))
    return already_answered(bodies, comment_id)


def _post(
    client: GitHubClient,
    repo: str,
    number: int,
    body: str,
    comment_id: int,
    stop: Callable[[], bool] | None = None,
) -> TalkOutcome:
    """Post `body` unless an answer to `comment_id` landed meanwhile (a retry, a rerun), or
    the run was stopped (the App timed it out, the PR was closed)."""
    if stop is not None and stop():
        return TalkOutcome(skipped_reason="superseded")
    if _answered(client, repo, number, comment_id):
        return TalkOutcome(skipped_reason="already answered")
    url = client.create_issue_comment(repo, number, body)
    return TalkOutcome(posted=True, url=url)
