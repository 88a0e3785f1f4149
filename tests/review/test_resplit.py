"""A chunk the server refuses as over the model's context is asked about again in halves."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from bot.config import RepoConfig
from bot.diff.parse import parse_diff
from bot.diff.render import render_chunk
from bot.model.errors import too_long
from bot.models import ContextOverflow, PullRequest
from bot.plan.build import input_budget
from bot.plan.chunking import CHUNK_OVERHEAD_TOKENS, plan_chunks
from bot.review.ask import ask_model
from bot.review.pipeline import assemble_review, prepare_review
from bot.review.resplit import Window, fitted, halves
from bot.settings import Settings
from bot.tokens import estimate_tokens
from tests.fakes.openai_server import FakeModel, error, exceeds_context, finding, findings
from tests.model.helpers import make_settings

# The wording OpenAI's API uses; xAI's is not documented, so several are recognised.
TOO_LONG = {
    "code": "Client specified an invalid argument",
    "error": "This model's maximum prompt length is 131072 but the request contains 140000 tokens.",
}


def diff_of(files: int, lines: int) -> str:
    parts = []
    for i in range(files):
        body = "".join(f"+    value_{j} = compute({j}, factor={i})\n" for j in range(lines))
        parts.append(f"--- /dev/null\n+++ b/pkg{i}/mod.py\n@@ -0,0 +1,{lines} @@\n{body}")
    return "".join(parts)


def settings_for(fake: FakeModel) -> Settings:
    return make_settings(fake, context_tokens=400_000, max_output_tokens=10_000)


def files_in(request: dict[str, Any]) -> list[str]:
    return re.findall(r"### File: (\S+)", request["json"]["messages"][-1]["content"])


def refuse_more_than(limit: int):  # type: ignore[no-untyped-def]
    """A server whose context holds `limit` files: more is refused as too long."""

    def reply(request: dict[str, Any]) -> Any:
        paths = files_in(request)
        if len(paths) > limit:
            return error(400, TOO_LONG)
        return findings(
            [finding(path=p, line=1, title=f"issue in {p}", code=_first(p)) for p in paths]
        )

    return reply


def _first(path: str) -> str:
    """The first added line of `path` in diff_of(), which the findings quote."""
    return f"value_0 = compute(0, factor={path[3]})"


def review(fake: FakeModel, diff: str, events: list[Any] | None = None) -> Any:
    settings = settings_for(fake)
    pr = PullRequest(files=parse_diff(diff))
    prepared = prepare_review(pr, RepoConfig(min_severity="nit"), settings)
    results = ask_model(prepared, settings, on_event=None if events is None else events.append)
    return prepared, assemble_review(prepared, results)


def test_a_refused_chunk_is_reviewed_in_halves_and_nothing_is_lost(fake: FakeModel) -> None:
    fake.script(refuse_more_than(2))
    prepared, result = review(fake, diff_of(files=4, lines=30))
    assert len(prepared.plan.chunks) == 1  # the planner put all four files in one request
    assert result.errors == ()
    assert sorted(f.path for f in result.comments) == [f"pkg{i}/mod.py" for i in range(4)]
    sizes = [len(files_in(r)) for r in fake.requests]
    assert sizes == [4, 2, 2]
    # The halves are framed under their chunk's number, each named as a slice of it.
    intros = [r["json"]["messages"][-1]["content"].split("\n")[0] for r in fake.requests]
    assert intros[0] == "Review part 1 of 1 of the diff."
    assert sorted(intros[1:]) == [
        "Review part 1 of 1 of the diff, slice 1 of 2.",
        "Review part 1 of 1 of the diff, slice 2 of 2.",
    ]
    # Every request sent is counted; the refused one apart (it earned no tokens).
    assert (result.usage.requests, result.usage.failed_requests) == (3, 1)


def test_a_second_split_when_halves_are_still_too_long(fake: FakeModel) -> None:
    fake.script(refuse_more_than(1))
    _, result = review(fake, diff_of(files=4, lines=30))
    assert result.errors == ()
    assert len(result.comments) == 4
    assert sorted(len(files_in(r)) for r in fake.requests) == [1, 1, 1, 1, 2, 2, 4]


def test_a_chunk_still_refused_after_two_splits_is_an_error_that_says_so(fake: FakeModel) -> None:
    fake.script(lambda request: error(400, TOO_LONG))
    _, result = review(fake, diff_of(files=1, lines=30))  # a hunk splits into line windows
    (message,) = result.errors
    assert message.endswith("(too long for the model's context, even at 1/4 of its planned size)")
    assert len(fake.requests) >= 1 + 2 + 4  # halves, then halves of those (windows may be 3)


def test_a_single_line_cannot_be_split(fake: FakeModel) -> None:
    fake.script(lambda request: error(400, TOO_LONG))
    _, result = review(fake, diff_of(files=1, lines=1))
    (message,) = result.errors
    assert message.endswith("(too long for the model's context, unsplittable)")
    assert len(fake.requests) == 1


def test_other_400s_are_not_split(fake: FakeModel) -> None:
    fake.script(lambda request: error(400, {"code": "bad", "error": "temperature is invalid"}))
    _, result = review(fake, diff_of(files=4, lines=30))
    assert len(fake.requests) == 1
    assert len(result.errors) == 1 and "too long" not in result.errors[0]


@pytest.mark.parametrize(
    "message",
    [
        "This model's maximum context length is 131072 tokens. However, you requested 140000",
        "prompt is too long: 270000 tokens > 256000 maximum",
        "context_length_exceeded",
        "Input has too many tokens for this model",
        "The number of tokens in the prompt exceeds the limit",
    ],
)
def test_wordings_of_too_long_are_recognised(message: str) -> None:
    assert too_long(400, message) and too_long(413, message)


@pytest.mark.parametrize("message", ["temperature is invalid", "Unknown model grok-9"])
def test_other_messages_are_not_too_long(message: str) -> None:
    assert not too_long(400, message)
    assert not too_long(500, "prompt is too long")  # a server error is retried, not split


def test_an_error_message_echoing_hostile_text_is_read_quickly() -> None:
    # `max … tokens` with `.*` between used to backtrack over such a message for minutes.
    started = time.monotonic()
    assert not too_long(400, "max " * 200_000)
    assert too_long(400, "max " * 200_000 + "tokens")
    assert time.monotonic() - started < 5


def test_progress_carries_on_across_the_rounds_of_halves(fake: FakeModel) -> None:
    fake.script(refuse_more_than(2))
    events: list[Any] = []
    review(fake, diff_of(files=4, lines=30), events)
    assert [(e.done, e.total) for e in events] == [(1, 1), (2, 3), (3, 3)]
    assert [e.prompt_tokens for e in events] == sorted(e.prompt_tokens for e in events)


def test_halves_of_a_split_file_keep_its_part_label() -> None:
    # A file too big for one request, planned into parts; one part is then halved again.
    (file,) = parse_diff(diff_of(files=1, lines=400))
    prefix = 1_000
    budget = prefix + CHUNK_OVERHEAD_TOKENS + 3_000
    parts = plan_chunks([file], budget_tokens=budget, prefix_tokens=prefix)
    assert len(parts) > 2
    second = parts[1]
    assert second.parts == (f"part 2/{len(parts)}",)
    again = halves(second, prefix_tokens=prefix)
    assert len(again) == 2
    assert [c.parts for c in again] == [(f"part 2/{len(parts)}, part {k}/2",) for k in (1, 2)]
    assert "### File: pkg0/mod.py (added, part 2/" in render_chunk(again[0])
    for chunk in again:  # the longer label is in the estimate
        sent = prefix + CHUNK_OVERHEAD_TOKENS + estimate_tokens(render_chunk(chunk))
        assert sent <= chunk.estimated_tokens <= sent + 8


def test_a_server_stating_its_context_gets_slices_planned_for_it(fake: FakeModel) -> None:
    # The run believes in 400,000 tokens; the server holds fewer and says how many (as
    # llama-server does): the chunk is planned again for that, not merely halved.
    settings = settings_for(fake)
    pr = PullRequest(files=parse_diff(diff_of(files=4, lines=30)))
    one = prepare_review(PullRequest(files=pr.files[:1]), RepoConfig(), settings)
    fits_one = one.plan.chunks[0].estimated_tokens + 20  # one file, never two
    n_ctx = next(c for c in range(fits_one, 10 * fits_one) if input_budget(c, 10_000) >= fits_one)

    def reply(request: dict[str, Any]) -> Any:
        paths = files_in(request)
        if len(paths) > 1:
            return exceeds_context(prompt_tokens=1_000, n_ctx=n_ctx)
        return findings([finding(path=paths[0], line=1, code=_first(paths[0]))])

    fake.script(reply)
    prepared = prepare_review(pr, RepoConfig(min_severity="nit"), settings)
    result = assemble_review(prepared, ask_model(prepared, settings))
    assert result.errors == ()
    assert len(result.comments) == 4
    assert [len(files_in(r)) for r in fake.requests] == [4, 1, 1, 1, 1]
    intros = sorted(r["json"]["messages"][-1]["content"].split("\n")[0] for r in fake.requests)
    assert intros[:4] == [f"Review part 1 of 1 of the diff, slice {k} of 4." for k in range(1, 5)]


def test_a_server_context_with_no_room_for_the_reply_says_what_to_change(fake: FakeModel) -> None:
    fake.script(lambda request: exceeds_context(prompt_tokens=3_000, n_ctx=8_192))
    _, result = review(fake, diff_of(files=2, lines=30))  # max_output_tokens 10,000 > 8,192
    (message,) = result.errors
    assert "the server's context of 8,192 tokens leaves no room" in message
    assert "--max-output-tokens" in message
    assert len(fake.requests) == 1


def test_the_server_counting_more_than_we_estimated_shrinks_the_slices() -> None:
    (file,) = parse_diff(diff_of(files=1, lines=400))
    prefix = 1_000
    (chunk,) = plan_chunks([file], budget_tokens=100_000, prefix_tokens=prefix)
    window = Window(context_tokens=400_000, max_output_tokens=1_000)
    n_ctx = chunk.estimated_tokens  # our estimate would fit in about one slice...
    ours = fitted(chunk, ContextOverflow(n_ctx=n_ctx), prefix_tokens=prefix, window=window)
    theirs = fitted(
        chunk,
        ContextOverflow(n_ctx=n_ctx, prompt_tokens=2 * chunk.estimated_tokens),
        prefix_tokens=prefix,
        window=window,
    )
    assert ours is not None and theirs is not None
    assert len(theirs) > len(ours) >= 2  # ...but the server counts twice as many tokens
    budget = input_budget(n_ctx, 1_000) // 2
    assert all(c.estimated_tokens <= budget for c in theirs)
    assert fitted(chunk, ContextOverflow(), prefix_tokens=prefix, window=window) is None
