"""Answer a reply in one of the bot's review threads: once, only to writers, never in a loop.

Rules (each checked on what GitHub says now, not on the webhook payload): the reply is a
person's (not a bot's, not ours, not made through this App) and replies to a comment of ours
that carries a finding's fingerprint; it asks something of the bot (triggers.reply_intent);
its author may push (their repository permission); no answer of ours names it yet; the
thread holds fewer than `thread_replies_per_day` answers of ours from the last 24 hours. A
reply saying the finding is wrong gets an acknowledgement, with no model request.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.errors import GitHubError
from bot.github.api import GitHubClient
from bot.github.ask import ask_for_answer
from bot.github.data import Comment
from bot.github.markers import find_fingerprints, without_markers
from bot.github.talk import (
    TalkOutcome,
    already_answered,
    answers_since,
    render_acknowledgement,
    render_answer,
    render_failure,
    talk_refusal,
)
from bot.github.triggers import reply_intent
from bot.review.answer import prepare_thread_answer
from bot.review.feedback import can_write

if TYPE_CHECKING:
    from bot.model.ladder import ServerMemory
    from bot.settings import Settings


def answer_thread_reply(
    settings: Settings,
    client: GitHubClient,
    *,
    repo: str,
    number: int,
    comment_id: int,
    servers: ServerMemory | None = None,
    app_id: int | None = None,
    stop: Callable[[], bool] | None = None,
    now: datetime | None = None,
) -> TalkOutcome:
    """Answer review comment `comment_id` in its thread on PR `number`, if the rules allow."""
    reply = client.fetch_review_comment(repo, comment_id)
    if reply is None:
        return TalkOutcome(skipped_reason="the comment is gone")
    refusal = talk_refusal(reply, app_id=app_id)
    if refusal is not None:
        return TalkOutcome(skipped_reason=refusal)
    root = client.fetch_review_comment(repo, reply.in_reply_to) if reply.in_reply_to else None
    if root is None or not root.ours or not find_fingerprints(root.body):
        return TalkOutcome(skipped_reason="not a reply to one of grok-review's findings")
    intent = reply_intent(reply.body, bot_login=root.login)
    if intent is None:
        return TalkOutcome(skipped_reason="the reply asks nothing of grok-review")
    permission = client.repository_permission(repo, reply.login)
    if not can_write(permission):
        return TalkOutcome(
            skipped_reason=f"reply by {reply.login} ({permission} access): only writers"
        )
    thread = _thread(client, repo, number, root.id)
    limit = _limit(thread, comment_id, settings, now=now or datetime.now(UTC))
    if limit is not None:
        return TalkOutcome(skipped_reason=limit)
    if intent == "acknowledge":
        body = render_acknowledgement(comment_id)
        return _post(client, repo, number, root.id, body, comment_id, stop)
    line = root.original_line or root.line
    prepared = prepare_thread_answer(
        repo=repo,
        number=number,
        finding=without_markers(root.body),
        where=f"`{root.path}` line {line}" if line else f"`{root.path}`",
        hunk=root.diff_hunk or reply.diff_hunk,
        code=_code(client, repo, root),
        line=line,
        thread=[(c.login, without_markers(c.body)) for c in thread if c.id < reply.id],
        reply=reply.body,
        replier=reply.login,
        model=settings.model,
    )
    asked = ask_for_answer(settings, prepared, servers=servers)
    model = prepared.model
    if asked.error is not None:
        body = render_failure(asked.reply, asked.error, comment_id=comment_id, model=model)
    else:
        assert asked.reply is not None
        body = render_answer(asked.reply, comment_id=comment_id, model=model)
    return asked.outcome(_post(client, repo, number, root.id, body, comment_id, stop), model=model)


def _thread(client: GitHubClient, repo: str, number: int, root: int) -> list[Comment]:
    """The replies in the thread of `root`, oldest first (GitHub points every reply of a
    thread at its first comment)."""
    return [c for c in client.list_review_comments(repo, number) if c.in_reply_to == root]


def _limit(
    thread: list[Comment], comment_id: int, settings: Settings, *, now: datetime
) -> str | None:
    if already_answered((c.body for c in thread if c.ours), comment_id):
        return "already answered"
    recent = answers_since(thread, now=now)
    if recent >= settings.thread_replies_per_day:
        return (
            f"the thread has {recent} answers of grok-review from the last 24 hours "
            f"(at most {settings.thread_replies_per_day}: GROK_REVIEW_THREAD_REPLIES_PER_DAY)"
        )
    return None


def _code(client: GitHubClient, repo: str, root: Comment) -> str | None:
    """The commented file as the finding saw it (its original commit); None when unreadable."""
    if not root.path or not root.original_commit_id:
        return None
    try:
        return client.fetch_file(repo, root.path, ref=root.original_commit_id)
    except GitHubError:
        return None  # too large for the API, or gone: the diff hunk still shows the lines


def _post(
    client: GitHubClient,
    repo: str,
    number: int,
    root: int,
    body: str,
    comment_id: int,
    stop: Callable[[], bool] | None = None,
) -> TalkOutcome:
    """Reply in the thread unless an answer to `comment_id` landed meanwhile, or the run
    was stopped (the App timed it out, the PR was closed)."""
    if stop is not None and stop():
        return TalkOutcome(skipped_reason="superseded")
    ours = (c.body for c in _thread(client, repo, number, root) if c.ours)
    if already_answered(ours, comment_id):
        return TalkOutcome(skipped_reason="already answered")
    url = client.reply_in_thread(repo, number, root, body)
    return TalkOutcome(posted=True, url=url)
