"""What the bot says in a conversation (pure): answers, help, failures, acknowledgements.

Every one of them ends with a marker naming the comment it answers, so the bot recognises its
own words (and never answers them) and never answers one comment twice. Model text goes
through `neutralize`, like a finding's body.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.errors import ExitCode
from bot.github.data import Comment
from bot.github.markers import answer_marker, answered_ids
from bot.github.triggers import TRUSTED_ASSOCIATIONS
from bot.models import TextReply
from bot.output.formats import usage_line
from bot.output.markdown import BODY_LIMIT, COMMENT_LIMIT, clip, neutralize, neutralize_inline

QUOTE_CHARS = 300  # of the question, quoted above its answer

HELP = (
    "Ask a question after `/ask`, for example `/ask Why does parse() return None for an "
    "empty file?` grok-review answers here from the pull request's diff and the repository "
    "around it. Owners, members and collaborators can ask."
)
ACKNOWLEDGED = (
    "Thanks, noted: this finding is wrong. To stop grok-review from raising findings like "
    "it in this repository, react to the finding with 👎 (the reactions of people with "
    "write access mute it in later reviews)."
)


@dataclass(frozen=True)
class TalkOutcome:
    """What one answer run did, for the Action's log and the App's job record."""

    posted: bool = False
    url: str | None = None
    skipped_reason: str | None = None  # why nothing was posted
    error: str | None = None  # why the answer failed (a comment saying so may be posted)
    reply: TextReply | None = None  # the model's answer, when it was asked
    model: str = ""
    exit_code: ExitCode = ExitCode.REVIEWED


def talk_refusal(comment: Comment, *, app_id: int | None = None) -> str | None:
    """Why a comment may not be answered (None: it may): never a bot, never the bot itself,
    never through this App, only from people who can push."""
    if comment.is_bot or comment.ours:
        return f"comment by a bot ({comment.login})"
    if app_id is not None and comment.app_id == app_id:
        return "comment made through this app"
    if comment.association not in TRUSTED_ASSOCIATIONS:
        return f"comment by {comment.login} ({comment.association}): not a writer"
    return None


def already_answered(bodies: Iterable[str], comment_id: int) -> bool:
    """One of these bodies (of our comments) names `comment_id` as answered."""
    return any(comment_id in answered_ids(body) for body in bodies)


def answers_since(comments: Sequence[Comment], *, now: datetime, hours: float = 24) -> int:
    """How many of `comments` are answers of ours posted within the last `hours`."""
    since = (now.astimezone(UTC) - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return sum(1 for c in comments if c.ours and answered_ids(c.body) and c.created_at >= since)


def render_answer(
    reply: TextReply,
    *,
    comment_id: int,
    model: str,
    question: str | None = None,
    asker: str = "",
    note: str | None = None,
) -> str:
    """An answer: the question quoted (an /ask), the model's markdown, what it could not
    see, the cost line and the marker."""
    parts = []
    if question is not None:
        parts.append(
            f"> **{_login(asker)}** asked: {neutralize_inline(clip(question, QUOTE_CHARS))}"
        )
    parts.append(neutralize(clip(reply.text.strip(), BODY_LIMIT)))
    if note:
        parts.append(f"_Note: {neutralize_inline(note)}._")
    return _finish(parts, reply, comment_id=comment_id, model=model)


def render_failure(reply: TextReply | None, error: str, *, comment_id: int, model: str) -> str:
    """A short comment saying the answer failed (and what the attempt cost, if anything)."""
    why = neutralize_inline(clip(error, 1_000))
    parts = [f"grok-review could not answer this: {why}. Ask again later."]
    return _finish(parts, reply, comment_id=comment_id, model=model)


def render_help(comment_id: int) -> str:
    return _finish([HELP], None, comment_id=comment_id, model="")


def render_acknowledgement(comment_id: int) -> str:
    return _finish([ACKNOWLEDGED], None, comment_id=comment_id, model="")


def _finish(parts: list[str], reply: TextReply | None, *, comment_id: int, model: str) -> str:
    marker = answer_marker(comment_id)
    if reply is not None and reply.usage.requests:
        usage = usage_line(reply.usage, model=model, served_model=reply.served_model)
        parts.append(f"---\n_{usage}_")
    body = "\n\n".join(parts)
    return clip(body, COMMENT_LIMIT - len(marker) - 2) + "\n\n" + marker


def _login(login: str) -> str:
    """A login shown without notifying anyone (a mention in a code span does not ping)."""
    return "`" + "".join(c for c in login if c.isalnum() or c in "-_[]") + "`"
