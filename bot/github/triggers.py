"""Which GitHub events and comments ask for a review or an answer — shared by the Action and
the App (pure)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from bot.github.markers import PREFIX, is_ours
from bot.github.render import CHECK_NAME

# "rerun": someone pressed Re-run on the bot's check run; it reviews like "command".
Trigger = Literal["auto", "command", "command_full", "rerun"]
# Not a review: an answer to `/ask QUESTION`, or to a reply in one of the bot's threads.
Talk = Literal["ask", "reply"]

REVIEW_ACTIONS = frozenset({"opened", "reopened", "synchronize", "ready_for_review"})
# Only people who can already push may spend the model budget on demand.
TRUSTED_ASSOCIATIONS = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})
OWN_MARKER = PREFIX  # a comment the bot wrote is never a command


def parse_command(body: str) -> Trigger | Literal["ask"] | None:
    """`/review` -> "command", `/review full` -> "command_full", `/ask …` -> "ask",
    anything else -> None."""
    lines = body.strip().splitlines()
    words = lines[0].split() if lines else []
    if words and words[0] == "/ask":
        return "ask"
    if not words or words[0] != "/review":
        return None
    return "command_full" if len(words) > 1 and words[1].lower() == "full" else "command"


def parse_question(body: str) -> str:
    """The question of an `/ask` comment: the rest of its first line and every line after
    ("" when there is none)."""
    if parse_command(body) != "ask":
        return ""
    return body.strip()[len("/ask") :].strip()


@dataclass(frozen=True)
class Refused:
    """Why an event starts no review or answer (`describe_refusal` words it)."""

    why: Literal[
        "action",
        "issue",
        "not_command",
        "bot",
        "this_app",
        "untrusted",
        "other_check",
        "no_pull_request",
        "not_reply",
        "not_for_bot",
    ]
    action: str = ""
    login: str = ""
    association: str = ""


def describe_refusal(refused: Refused, *, event: str = "issue_comment") -> str:
    """One line saying why `event` was left alone: the Action's notice and the App's log."""
    what = {"pull_request_review_comment": "a reply", "check_run": "a re-run"}.get(
        event, "the command"
    )
    said: dict[str, str] = {
        "action": f"{event} '{refused.action}' needs no review",
        "issue": "a comment on an issue, not on a pull request",
        "not_command": "the comment is not a /review or /ask command",
        "this_app": "a comment made through this app",
        "other_check": "a check run of another app or name",
        "no_pull_request": "the payload names no pull request",
        "not_reply": "a review comment that starts a thread, not a reply",
        "not_for_bot": "the reply asks nothing of grok-review",
        "bot": f"{what} from a bot is ignored",
        "untrusted": (
            f"{what} from {refused.login or 'someone'} ({refused.association or 'no association'})"
            " is ignored: only owners, members and collaborators may ask grok-review"
        ),
    }
    return said[refused.why]


def comment_command(
    payload: Mapping[str, Any], *, app_id: int | None = None
) -> Trigger | Literal["ask"] | Refused:
    """The review (or answer) an issue_comment payload asks for, or why it asks for none.

    Only a new comment on a pull request whose first line is `/review` (or `/ask`) counts, and
    only from a person who can push (OWNER, MEMBER, COLLABORATOR): never from a bot, never a
    comment the bot wrote itself (it carries our marker) and never one made through this App.
    """
    issue, comment = _mapping(payload.get("issue")), _mapping(payload.get("comment"))
    if payload.get("action") != "created":
        return Refused("action", action=str(payload.get("action")))
    if not issue.get("pull_request"):
        return Refused("issue")
    body = str(comment.get("body") or "")
    trigger = parse_command(body)
    if trigger is None:
        return Refused("not_command")
    refused = _author_refusal(comment, app_id=app_id)
    return trigger if refused is None else refused


# --- replies in the bot's review threads --------------------------------------------------------

ReplyIntent = Literal["answer", "acknowledge"]
# A reply that says the finding is wrong gets an acknowledgement, never an argument.
_DISMISSAL = re.compile(
    r"\bfalse[ -]?positives?\b|\bnot an? (?:real )?(?:bug|issue|problem)\b|\bwon'?t fix\b"
    r"|\bwontfix\b|\bby design\b|\b(?:is|as|was) intended\b|\bintended behaviou?r\b"
    r"|\bintentional\b|\bnot applicable\b|\b(?:this|that|it|the finding) is (?:wrong|incorrect)\b"
    r"|\b(?:does not|doesn'?t) apply\b|\bnot relevant\b",
    re.IGNORECASE,
)
_MENTION = re.compile(r"(?<![\w@/`])@([A-Za-z0-9][A-Za-z0-9-]*)")
# Not words of the reply: quoted lines (often the finding itself), code and links.
_NOT_PROSE = re.compile(r"^[ \t]*>[^\n]*$|```[\s\S]*?```|`[^`\n]*`|https?://\S+", re.MULTILINE)
BOT_NAME = "grok-review"


def reply_intent(body: str, *, bot_login: str | None = None) -> ReplyIntent | None:
    """What a reply in one of the bot's threads asks of it, from its words (quotes, code and
    links left out): `/ask …` -> answer; saying the finding is wrong, without a question mark
    -> acknowledge; a question mark, or a mention of the bot (@grok-review, or its own login
    when known; with `bot_login` None any mention may be it) -> answer; else None (a "thanks"
    or "fixed" needs no reply)."""
    if parse_command(body) == "ask":
        return "answer"
    prose = _NOT_PROSE.sub(" ", body)
    asks = "?" in prose
    if not asks and _DISMISSAL.search(prose):
        return "acknowledge"
    names = {m.lower() for m in _MENTION.findall(prose)}
    own = {BOT_NAME, (bot_login or "").lower().removesuffix("[bot]")} - {""}
    if asks or (names & own) or (names and bot_login is None):
        return "answer"
    return None


@dataclass(frozen=True)
class ThreadReply:
    """A new review comment replying in a thread: the PR, the reply and the thread's first."""

    number: int
    comment_id: int
    in_reply_to: int
    login: str


def review_reply(payload: Mapping[str, Any], *, app_id: int | None = None) -> ThreadReply | Refused:
    """The answer a pull_request_review_comment payload may ask for, or why it asks for none.

    Only a new reply (`in_reply_to_id` set) from a person who can push (OWNER, MEMBER,
    COLLABORATOR) that asks something of the bot (reply_intent) counts; never a bot's, never
    one the bot wrote, never one made through this App. Whether the thread is the bot's, and
    the person's write access, are checked where the reply is answered (they cost requests).
    """
    comment = _mapping(payload.get("comment"))
    if payload.get("action") != "created":
        return Refused("action", action=str(payload.get("action")))
    login = str(_mapping(comment.get("user")).get("login"))
    body = str(comment.get("body") or "")
    reply_to, comment_id = comment.get("in_reply_to_id"), comment.get("id")
    number = _mapping(payload.get("pull_request")).get("number")
    if not isinstance(reply_to, int) or not isinstance(comment_id, int):
        return Refused("not_reply", login=login)
    refused = _author_refusal(comment, app_id=app_id)
    if refused is not None:
        return refused
    if reply_intent(body) is None:
        return Refused("not_for_bot", login=login)
    if not isinstance(number, int):
        return Refused("no_pull_request", login=login)
    return ThreadReply(number=number, comment_id=comment_id, in_reply_to=reply_to, login=login)


@dataclass(frozen=True)
class Rerun:
    """A Re-run of the bot's check run: the pull request it names and who asked."""

    number: int
    login: str


def rerun_request(payload: Mapping[str, Any], *, app_id: int | None = None) -> Rerun | Refused:
    """The review a `check_run` payload asks for, or why it asks for none.

    Only `rerequested` on our own check run (name `grok-review`, created by this App when its
    id is known) counts, never from a bot. The payload has no author_association, so
    whether the person may push is checked by the worker (their repository permission, one
    request the webhook handler must not wait for) instead of trusting who could click.
    The pull request is the one GitHub lists, else the one our check run's `external_id`
    names (GitHub lists none for a PR from a fork).
    """
    check = _mapping(payload.get("check_run"))
    sender = _mapping(payload.get("sender"))
    login = str(sender.get("login") or "")
    if payload.get("action") != "rerequested":
        return Refused("action", action=str(payload.get("action")))
    app = _mapping(check.get("app")).get("id")
    if check.get("name") != CHECK_NAME or (app_id is not None and app != app_id):
        return Refused("other_check", login=login)
    if sender.get("type") == "Bot":
        return Refused("bot", login=login)
    number = _pull_number(check)
    if number is None or not login:
        return Refused("no_pull_request", login=login)
    return Rerun(number=number, login=login)


def _pull_number(check: Mapping[str, Any]) -> int | None:
    for pull in check.get("pull_requests") or ():
        number = _mapping(pull).get("number")
        if isinstance(number, int) and number > 0:
            return number
    external = str(check.get("external_id") or "")
    # ASCII digits, few: int() refuses past 4,300 digits (a crash on a signed payload).
    if not (external.isascii() and external.isdigit() and len(external) <= 12):
        return None
    return int(external) if int(external) > 0 else None


def _author_refusal(comment: Mapping[str, Any], *, app_id: int | None) -> Refused | None:
    """Why a payload's comment may not ask anything of the bot because of who wrote it: a
    bot, the bot itself (our marker), this App, or someone who cannot push. None: it may."""
    user = _mapping(comment.get("user"))
    login, association = str(user.get("login")), str(comment.get("author_association") or "NONE")
    if user.get("type") == "Bot" or is_ours(str(comment.get("body") or "")):
        return Refused("bot", login=login)
    if app_id is not None and _mapping(comment.get("performed_via_github_app")).get("id") == app_id:
        return Refused("this_app", login=login)
    if association not in TRUSTED_ASSOCIATIONS:
        return Refused("untrusted", login=login, association=association)
    return None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
