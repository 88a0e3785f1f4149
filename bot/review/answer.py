"""Answering a person about a pull request: what one request can hold, then one text request.

An /ask sees the PR as a review does (filtered, secrets redacted, the repository context
chosen for the diff) but in one request: when the diff does not fit, the part that names the
most files the question names (else the largest) goes, and the answer says what it saw. A
reply in a thread sees the finding, its diff hunk, the code around it and the thread.
"""

from __future__ import annotations

import asyncio
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass

from bot.config import RepoConfig
from bot.context.snapshot import Snapshot, split_lines
from bot.diff.filters import filter_files
from bot.diff.render import RENDER_FORMAT_HELP, render_chunk
from bot.model.ladder import ServerMemory
from bot.model.loop import ToolOptions
from bot.model.prompt import prefix_tokens
from bot.model.schema import Message
from bot.model.sections import truncate_chars
from bot.model.talk import answer_tools_help, build_ask_messages, build_thread_messages
from bot.model.toolcalls import TOOLS_TOKENS
from bot.models import Chunk, Plan, PullRequest, SkippedFile, TextReply
from bot.plan.build import build_plan, estimate_cost, input_budget
from bot.pricing import price_for
from bot.review.context import plan_context
from bot.review.pipeline import conversation_id, pr_prefix_messages, source_skipped
from bot.review.tools import BudgetGrant, granted_budget, plan_tools, tool_options, tools_offered
from bot.secrets.redact import redact_files, redact_text
from bot.settings import Settings

MAX_QUESTION_CHARS = 4_000  # of a question, a reply, a finding or one comment of a thread
MAX_THREAD_COMMENTS = 6  # the newest comments of a thread shown before the reply
EXCERPT_LINES = 30  # of the file, each side of the commented line
_NOTE_ROOM = "x" * 400  # the fit note is written after the fit; room is kept for it


@dataclass(frozen=True)
class PreparedAnswer:
    messages: list[Message]
    model: str
    conv_id: str
    note: str | None = None  # what the answer could not see, said to the model and the person
    tools: ToolOptions | None = None  # the repository tools offered (an /ask with a snapshot)


def prepare_answer(
    pr: PullRequest,
    config: RepoConfig,
    settings: Settings,
    *,
    question: str,
    asker: str,
    agents_md: str | None = None,
    extra_skipped: Sequence[SkippedFile] = (),
    snapshot: Snapshot | None = None,
    context_note: str | None = None,
    budget: BudgetGrant | None = None,
) -> PreparedAnswer:
    """The request answering `question` about `pr`: its text, what did not fit, and the tools
    offered. Pure but for reading `snapshot` (and asking `budget`, the App's daily budget, for
    the answer's share once its worst case is known); tool rounds stay under that share and
    `max_cost_usd`."""
    model = settings.model
    kept, skipped = filter_files(pr.files, config)
    files, _ = redact_files(kept)
    input_tokens = input_budget(settings.context_tokens, settings.max_output_tokens)
    _system, context_message = pr_prefix_messages(
        pr, config, agents_md=agents_md, budget_tokens=input_tokens
    )
    pr_context = context_message["content"]
    asked = truncate_chars(redact_text(question.strip()), MAX_QUESTION_CHARS)
    offered = tools_offered(config.tools, snapshot)
    help_text = answer_tools_help(config.tools.max_rounds) if offered else ""

    def messages(chunk: Chunk | None, note: str | None) -> list[Message]:
        return build_ask_messages(
            pr_context,
            format_help=RENDER_FORMAT_HELP,
            tools_help=help_text,
            diff=render_chunk(chunk) if chunk is not None else None,
            context=chunk.context if chunk is not None else (),
            question=asked,
            asker=asker,
            note=note,
        )

    price = price_for(model, settings.prices)
    plan = build_plan(
        files,
        (*skipped, *source_skipped(pr, extra_skipped)),
        model=model,
        context_tokens=settings.context_tokens,
        max_output_tokens=settings.max_output_tokens,
        # The tools' definitions ride with the request when they are offered.
        prefix_tokens=prefix_tokens(messages(None, _NOTE_ROOM)) + (TOOLS_TOKENS if offered else 0),
        max_requests=None,
        max_cost_usd=config.max_cost_usd,
        price=price,
        files_total=len(pr.files) + len(extra_skipped),
    )
    plan, index = plan_context(plan, files, snapshot, config, price=price, note=context_note)
    chunk = pick_chunk(plan.chunks, question)
    note = fit_note(plan, chunk)
    # Tools may spend what max_cost_usd leaves above the one request that is sent.
    sent = plan.model_copy(
        update={
            "chunks": (chunk,) if chunk is not None else (),
            "estimated_cost_usd": estimate_cost([chunk] if chunk else [], price=price),
        }
    )
    sent = plan_tools(
        sent, config.tools, offered=offered, price=price, max_cost_usd=config.max_cost_usd
    )
    caps = (config.max_cost_usd, granted_budget(budget, sent))
    tools = tool_options(sent, snapshot, index, price=price, caps=caps)
    conv = conversation_id(pr)
    return PreparedAnswer(messages(chunk, note), model, conv, note, tools=tools)


def pick_chunk(chunks: Sequence[Chunk], question: str) -> Chunk | None:
    """The part of the diff to send: the one with the most files the question names by path,
    then by file name, else the one with the most changed lines."""
    words = question.lower()

    def named(chunk: Chunk) -> tuple[int, int, int]:
        paths = {f.path.lower() for f in chunk.files}
        by_path = sum(1 for p in paths if p in words)
        by_name = sum(1 for p in paths if posixpath.basename(p) in words)
        return by_path, by_name, chunk.changed_lines

    return max(chunks, key=named, default=None)


def fit_note(plan: Plan, chunk: Chunk | None) -> str | None:
    """What the answer does not see of the PR, in one sentence (None: it sees everything)."""
    unlisted = any(s.reason == "beyond_github_file_limit" for s in plan.skipped)
    limit = "GitHub lists only the first 3,000 changed files of this pull request"
    if chunk is None or plan.changed_lines_total <= chunk.changed_lines:
        return f"{limit}, so the answer is based on those" if unlisted and chunk else None
    seen = len({f.path for f in chunk.files})
    files = len(plan.kept) + sum(1 for s in plan.skipped if s.reason == "budget")
    note = (
        f"this pull request is too large for one request, so the answer is based on {seen:,} "
        f"of its {files:,} changed files ({chunk.changed_lines:,} of "
        f"{plan.changed_lines_total:,} changed lines)"
    )
    if unlisted:
        note += f", and {limit}"
    return note + "; name a file in the question to have it included"


def prepare_thread_answer(
    *,
    repo: str,
    number: int,
    finding: str,
    where: str,
    hunk: str,
    code: str | None,
    line: int | None,
    thread: Sequence[tuple[str, str]],
    reply: str,
    replier: str,
    model: str,
) -> PreparedAnswer:
    """The request answering a reply in one of the bot's threads. `code` is the file at the
    head (the lines around `line` are shown); every text is redacted and bounded."""

    def bounded(text: str) -> str:
        return truncate_chars(redact_text(text.strip()), MAX_QUESTION_CHARS)

    messages = build_thread_messages(
        finding=bounded(finding),
        where=where,
        hunk=bounded(hunk),
        code=excerpt(redact_text(code), line) if code is not None else None,
        thread=[(who, bounded(text)) for who, text in thread[-MAX_THREAD_COMMENTS:]],
        reply=bounded(reply),
        replier=replier,
    )
    conv = conversation_id(PullRequest(repo=repo, number=number))
    return PreparedAnswer(messages, model, conv)


def excerpt(text: str, line: int | None, *, around: int = EXCERPT_LINES) -> str | None:
    """Lines `line` ± `around` of `text`, numbered (None without a line inside the file)."""
    lines = split_lines(text)
    if line is None or not 1 <= line <= len(lines):
        return None
    start, end = max(1, line - around), min(len(lines), line + around)
    width = len(str(end))
    return "\n".join(f"{n:>{width}} | {lines[n - 1]}" for n in range(start, end + 1))


def ask_text(
    settings: Settings,
    prepared: PreparedAnswer,
    *,
    servers: ServerMemory | None = None,
    name: str = "the answer",
) -> TextReply:
    """Send the one request (bot.model.answer.answer) and wait for it. `servers`: what
    earlier runs learned about the model server (the App keeps one)."""
    from bot.model import client as llm  # the openai import is slow; only answers pay for it
    from bot.model.answer import answer

    async def run() -> TextReply:
        client = llm.make_client(settings)
        try:
            return await answer(
                client,
                settings=settings,
                model=prepared.model,
                messages=prepared.messages,
                conv_id=prepared.conv_id,
                state=llm.new_run_state(settings, servers=servers, tools=prepared.tools),
                name=name,
            )
        finally:
            await client.close()

    return asyncio.run(run())
