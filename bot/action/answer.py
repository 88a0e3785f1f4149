"""The Action answering a comment: an `/ask`, or a reply in one of the bot's review threads."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import IO

from bot.action.annotations import workflow_command
from bot.action.decide import Answer, Options
from bot.models import Usage
from bot.output.formats import usage_line
from bot.settings import Settings

NO_KEY = (
    "grok-review: no xAI API key, so the comment was not answered. Set the xai-api-key input "
    "from a repository secret. GitHub gives no secrets to workflows of replies in review "
    "threads of pull requests from forks: ask with /ask in the pull request's conversation "
    "there instead."
)
NOT_POSTING = "grok-review: post is 'annotations', which never writes to the pull request"


def answer_and_report(
    env: Mapping[str, str],
    out: IO[str],
    settings: Settings,
    options: Options,
    *,
    repo: str,
    answer: Answer,
) -> tuple[int, list[str], Usage | None]:
    """Answer the comment (at most one comment posted); (exit code, notes, what it cost)."""
    from bot.github.api import GitHubClient
    from bot.github.ask import answer_question
    from bot.github.thread import answer_thread_reply

    what = "/ask" if answer.kind == "ask" else "reply"
    print(f"grok-review: answering {what} {answer.comment_id} on {repo}#{answer.number}", file=out)
    client = GitHubClient.from_token(settings)
    if answer.kind == "ask":
        client.acknowledge(repo, answer.comment_id)  # seen: 👀 on the `/ask` comment
        outcome = answer_question(
            settings,
            client,
            repo=repo,
            number=answer.number,
            comment_id=answer.comment_id,
            config_path=options.config_path,
            # Read for context only when it holds the PR's head commit (bot.github.snapshot).
            workspace=Path(env["GITHUB_WORKSPACE"]) if env.get("GITHUB_WORKSPACE") else None,
        )
    else:
        outcome = answer_thread_reply(
            settings, client, repo=repo, number=answer.number, comment_id=answer.comment_id
        )
    notes = []
    if outcome.posted:
        notes.append(f"grok-review: posted {outcome.url or 'the answer'}")
    elif outcome.skipped_reason:
        notes.append(f"grok-review: not answered: {outcome.skipped_reason}")
    if outcome.error:
        print(workflow_command("error", f"grok-review: {outcome.error}"), file=out)
    usage = outcome.reply.usage if outcome.reply is not None else None
    if outcome.reply is not None and usage is not None and usage.requests:
        line = usage_line(usage, model=outcome.model, served_model=outcome.reply.served_model)
        notes.append(f"grok-review: {line}")
    return int(outcome.exit_code), notes, usage
