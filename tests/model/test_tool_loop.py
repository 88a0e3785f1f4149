"""The tool loop against the fake OpenAI server with the real client: rounds of calls and
results with their ids, append-only prompts, the round limit, the room, a misbehaving model
(tests/model/test_tool_servers.py: money and servers)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.config import TOOL_CALL_TOKENS
from bot.context.snapshot import MemorySnapshot
from bot.context.tools import Toolbox
from bot.model.loop import MAX_CALLS_PER_ROUND, Allowance, ToolOptions
from bot.model.reply import CALLED_PAST_LIMIT
from bot.model.toolcalls import TOOLS, TOOLS_TOKENS, conversation_tokens
from bot.models import ChunkResult
from bot.plan.build import input_budget
from bot.pricing import price_for
from bot.settings import Settings
from bot.tokens import estimate_tokens
from tests.fakes.openai_server import (
    FakeModel,
    calls,
    finding,
    findings,
    messages_of,
    raw,
    tool_call,
)
from tests.model.helpers import make_settings, run_review

APP = "def area(w, h):\n    return w * h\n\n\ndef volume(w, h, d):\n    return area(w, h) * d\n"
FILES = {
    "src/app.py": APP,
    "src/use.py": "from src.app import volume\n\nprint(volume(1, 2, 3))\n",
    "long.txt": "".join(f"line {n} says something long enough\n" for n in range(1, 20_001)),
    "keys.env": "GITHUB_TOKEN=ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8" + "\n",
}
CHUNK = "Review part 1 of 1 of the diff.\n\n<untrusted_diff>\n--- src/use.py\n</untrusted_diff>"


def options(*, rounds: int = 4, allowance: float | None = None) -> ToolOptions:
    snapshot = MemorySnapshot({p: t.encode() for p, t in FILES.items()}, source="git")
    return ToolOptions(
        toolbox=Toolbox(snapshot),
        max_rounds=rounds,
        allowance=Allowance(allowance),
        price=price_for("grok-code-fast-1"),
    )


def review(settings: Settings, chunks: Sequence[str] = (CHUNK,), **kw: Any) -> list[ChunkResult]:
    """run_review of CHUNK, or of `chunks`."""
    return run_review(settings, chunks, **kw)


def tool_messages(request: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in messages_of(request) if m["role"] == "tool"]


def always_calls(request: dict[str, Any]) -> Any:
    """A model that never stops calling tools while it may (and answers when it may not)."""
    if request["json"].get("tool_choice") == "auto":
        return calls(tool_call("list_files", {"glob": "src/"}))
    return findings([finding(path="src/use.py", line=3)])


# --- a round trip ------------------------------------------------------------------------


def test_calls_run_together_and_results_answer_their_ids_then_the_review(
    fake: FakeModel,
) -> None:
    fake.queue(
        [
            calls(
                tool_call("read_file", {"path": "src/app.py", "start_line": 5}, id="c-read"),
                tool_call("find_definitions", {"symbol": "volume"}, id="c-defs"),
                prompt_tokens=1500,
            ),
            findings([finding(path="src/use.py", line=3)], prompt_tokens=1900, cached_tokens=1500),
        ]
    )
    (result,) = review(make_settings(fake), tools=options())

    assert result.error is None and [f.path for f in result.findings] == ["src/use.py"]
    first, second = fake.requests
    for request in (first, second):
        assert request["json"]["tools"] == TOOLS
        assert request["json"]["tool_choice"] == "auto"
        assert request["json"]["response_format"]["type"] == "json_schema"
        assert request["headers"]["x-grok-conv-id"] == "grok-review-abc123"
    sent, then = messages_of(first), messages_of(second)
    assert then[: len(sent)] == sent  # append-only: the first request is a prefix
    calls_turn, *results = then[len(sent) :]
    assert calls_turn["role"] == "assistant" and calls_turn["content"] == ""
    assert [c["id"] for c in calls_turn["tool_calls"]] == ["c-read", "c-defs"]
    assert [r["tool_call_id"] for r in results] == ["c-read", "c-defs"]
    assert results[0]["content"].splitlines() == [
        "src/app.py lines 5-6 of 6:",
        "5: def volume(w, h, d):",
        "6:     return area(w, h) * d",
    ]
    assert results[1]["content"].startswith("definitions of volume: 1\nsrc/app.py lines 5-6:")
    usage = result.usage
    assert (usage.requests, usage.tool_calls, usage.tool_rounds) == (2, 2, 1)
    assert (usage.prompt_tokens, usage.cached_tokens) == (3400, 1500)


def test_a_model_that_answers_at_once_costs_one_request(fake: FakeModel) -> None:
    fake.queue([findings([])])
    (result,) = review(make_settings(fake), tools=options())
    assert result.error is None and len(fake.requests) == 1
    assert (result.usage.tool_calls, result.usage.tool_rounds) == (0, 0)


def test_without_tools_no_request_offers_them(fake: FakeModel) -> None:
    review(make_settings(fake), tools=None)
    assert "tools" not in fake.requests[0]["json"]
    assert "tool_choice" not in fake.requests[0]["json"]


def test_secrets_in_results_are_redacted(fake: FakeModel) -> None:
    fake.queue([calls(tool_call("read_file", {"path": "keys.env"})), findings([])])
    review(make_settings(fake), tools=options())
    (result,) = tool_messages(fake.requests[1])
    assert "ghp_" not in result["content"] and "[REDACTED:github-token]" in result["content"]


# --- limits ------------------------------------------------------------------------------


def test_the_round_limit_forces_the_answer_with_tool_choice_none(fake: FakeModel) -> None:
    fake.script(always_calls)
    (result,) = review(make_settings(fake), tools=options(rounds=3))
    choices = [r["json"]["tool_choice"] for r in fake.requests]
    assert choices == ["auto", "auto", "auto", "none"]
    assert all(r["json"]["tools"] == TOOLS for r in fake.requests)  # same bytes each round
    for before, after in zip(fake.requests, fake.requests[1:], strict=False):
        assert messages_of(after)[: len(messages_of(before))] == messages_of(before)
    assert result.error is None and len(result.findings) == 1
    assert (result.usage.tool_rounds, result.usage.tool_calls, result.usage.requests) == (3, 3, 4)


def test_a_model_that_never_stops_calling_ends_in_a_reported_failure(fake: FakeModel) -> None:
    fake.script(lambda request: calls(tool_call("list_files", {})))
    (result,) = review(make_settings(fake), tools=options(rounds=2))
    # Two rounds, the forced answer, one repair: then the chunk fails, saying why.
    assert len(fake.requests) == 4
    assert [r["json"]["tool_choice"] for r in fake.requests] == ["auto", "auto", "none", "none"]
    assert result.error is not None and CALLED_PAST_LIMIT in result.error
    repair = messages_of(fake.requests[3])
    assert repair[-1]["role"] == "user" and CALLED_PAST_LIMIT in repair[-1]["content"]


def test_more_calls_than_a_round_runs_are_dropped_and_the_model_told(fake: FakeModel) -> None:
    many = [tool_call("list_files", {"glob": f"dir{n}/"}) for n in range(MAX_CALLS_PER_ROUND + 3)]
    fake.queue([calls(*many), findings([])])
    (result,) = review(make_settings(fake), tools=options())
    assert result.error is None
    sent = messages_of(fake.requests[1])
    turn = next(m for m in sent if m.get("tool_calls"))
    assert len(turn["tool_calls"]) == MAX_CALLS_PER_ROUND
    results = tool_messages(fake.requests[1])
    assert len(results) == MAX_CALLS_PER_ROUND
    assert "3 more call(s) not run" in results[-1]["content"]
    assert result.usage.tool_calls == MAX_CALLS_PER_ROUND


def test_results_stay_under_the_call_cap_and_the_input_budget(fake: FakeModel) -> None:
    settings = make_settings(fake, context_tokens=12_000, max_output_tokens=1_000)
    budget = input_budget(settings.context_tokens, settings.max_output_tokens)
    fake.queue(
        [
            calls(
                tool_call("read_file", {"path": "long.txt"}),
                tool_call("search", {"pattern": "says"}),
            ),
            calls(tool_call("read_file", {"path": "long.txt", "start_line": 9000})),
            findings([]),
        ]
    )
    (result,) = review(settings, tools=options())
    assert result.error is None
    for request in fake.requests:
        assert conversation_tokens(messages_of(request)) + TOOLS_TOKENS <= budget
    first = tool_messages(fake.requests[1])
    assert all("[cut:" in m["content"] for m in first)
    assert all(estimate_tokens(m["content"]) <= TOOL_CALL_TOKENS for m in first)


def test_huge_arguments_are_not_resent_in_later_rounds(fake: FakeModel) -> None:
    huge = {"pattern": "x" * 20_000}
    fake.queue([calls(tool_call("search", huge)), findings([])])
    (result,) = review(make_settings(fake), tools=options())
    assert result.error is None
    turn = next(m for m in messages_of(fake.requests[1]) if m.get("tool_calls"))
    assert turn["tool_calls"][0]["function"]["arguments"] == "{}"
    (answer,) = tool_messages(fake.requests[1])
    assert answer["content"].startswith("error: the arguments are 20,")


def test_hostile_calls_get_error_results_and_the_review_still_ends(fake: FakeModel) -> None:
    fake.queue(
        [
            calls(
                tool_call("run_shell", {"command": "cat /etc/passwd"}),
                tool_call("read_file", "{oops"),
                tool_call("read_file", {"path": "../../etc/passwd"}),
                tool_call("read_file", {"path": "/etc/passwd"}),
                tool_call("search", {"pattern": r"(a+)+\1", "regex": True}),
                tool_call("read_file", {"path": 3}),
                tool_call("search", {"pattern": "(x+x+)+y", "regex": True}),
            ),
            findings([]),
        ]
    )
    (result,) = review(make_settings(fake), tools=options())
    assert result.error is None
    texts = [m["content"] for m in tool_messages(fake.requests[1])]
    assert all(t.startswith("error: ") for t in texts[:6]), texts
    assert "root:" not in "".join(texts)
    assert texts[6].startswith("search for regular expression (RE2)")  # linear: just no match


def test_replies_without_call_ids_get_ids_that_match(fake: FakeModel) -> None:
    # A server that sends calls without ids: the fake's `calls` numbers them, so build raw.
    body = {"name": "list_files", "arguments": "{}"}
    fake.queue([raw("", tool_calls=({"type": "function", "function": body},)), findings([])])
    (result,) = review(make_settings(fake), tools=options())
    assert result.error is None
    turn = next(m for m in messages_of(fake.requests[1]) if m.get("tool_calls"))
    (answer,) = tool_messages(fake.requests[1])
    assert turn["tool_calls"][0]["id"] == answer["tool_call_id"] == "call_0"


def test_a_reply_that_fails_validation_after_tools_is_repaired_without_new_calls(
    fake: FakeModel,
) -> None:
    fake.queue([calls(tool_call("list_files", {})), raw("not json"), findings([])])
    (result,) = review(make_settings(fake), tools=options())
    assert result.error is None
    repair = fake.requests[2]
    assert repair["json"]["tool_choice"] == "none" and repair["json"]["tools"] == TOOLS
    sent = messages_of(repair)
    assert sent[: len(messages_of(fake.requests[1]))] == messages_of(fake.requests[1])
    assert sent[-2] == {"role": "assistant", "content": "not json"}


def test_repeated_call_ids_are_made_unique_across_the_conversation(fake: FakeModel) -> None:
    twice = (tool_call("list_files", {}, id="same"), tool_call("list_files", {}, id="same"))
    fake.queue([calls(*twice), calls(tool_call("list_files", {}, id="same")), findings([])])
    (result,) = review(make_settings(fake), tools=options())
    assert result.error is None  # the fake refuses a conversation with an unanswered id
    sent = messages_of(fake.requests[2])
    ids = [c["id"] for m in sent for c in m.get("tool_calls") or ()]
    assert ids == ["same", "same_2", "same_3"]
    assert [m["tool_call_id"] for m in sent if m["role"] == "tool"] == ids


def test_calls_too_big_to_send_back_end_in_an_answer_from_the_first_request(
    fake: FakeModel,
) -> None:
    settings = make_settings(fake, context_tokens=6_000, max_output_tokens=500)
    bulky = [tool_call("search", {"pattern": f"{n}" * 3_900}) for n in range(8)]
    fake.queue([calls(*bulky), findings([finding(path="src/use.py", line=3)])])
    (result,) = review(settings, tools=options())
    assert result.error is None and len(result.findings) == 1
    first, last = fake.requests
    assert messages_of(last) == messages_of(first) and last["json"]["tool_choice"] == "none"
    budget = input_budget(settings.context_tokens, settings.max_output_tokens)
    assert conversation_tokens(messages_of(last)) + TOOLS_TOKENS <= budget
