"""One chunk's conversation with tools: rounds of read-only calls, then the structured answer.

Messages are only ever appended, under the run's one conversation id, so each round's
request starts with the previous request byte for byte and the provider serves it from its
prompt cache. A round's calls run one after another in a worker thread (cheap local reads
that must not hold up the event loop other chunks' requests wait on), and every call gets a
result, an error result included. After `max_rounds` rounds, or when the next round would not
fit the input budget or the money left to tools, the request says tool_choice "none": the
model answers with the review.

Money: the request a chunk was planned with is the first round's; every request after it is
extra, and is only sent once its worst case (every prompt token uncached, the whole output
limit) is reserved from the run's `Allowance`, which is what `max_cost_usd` and the App's
daily budget leave above the plan's estimate. So tools never spend past either cap.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace

from bot.config import TOOL_CALL_TOKENS, TOOL_CHUNK_TOKENS
from bot.context.tools import Toolbox, ToolResult, run_all
from bot.model.failures import ChunkFailed
from bot.model.reply import CALLED_PAST_LIMIT, Reply
from bot.model.toolcalls import (
    MESSAGE_OVERHEAD_TOKENS,
    Message,
    ToolCall,
    ToolChoice,
    calls_message,
    message_tokens,
    result_message,
)
from bot.models import Usage
from bot.pricing import Price, cost_from_tokens
from bot.tokens import estimate_tokens

MAX_CALLS_PER_ROUND = 8  # calls past these in one reply are dropped, and the model is told
MIN_TOOL_ROOM_TOKENS = 1_000  # less room than this left for results: tools are not offered
MIN_RESULT_TOKENS = 60  # a call given less room than this gets a short error instead
NO_ROOM = "error: no room is left for tool results in this request; answer with the review now"

Ask = Callable[[list[Message], ToolChoice], Awaitable[Reply]]
Measure = Callable[[list[Message]], int]


class Allowance:
    """What the tool rounds of one run may still spend, in USD (None: no cap). One run's
    chunks share it on one event loop, so no lock is needed."""

    def __init__(self, usd: float | None) -> None:
        self.left = usd

    def take(self, usd: float) -> bool:
        if self.left is None:
            return True
        if usd > self.left:
            return False
        self.left -= usd
        return True

    def give(self, usd: float) -> None:
        """Return `usd` (negative: charge what a request cost beyond its reservation)."""
        if self.left is not None:
            self.left += usd


@dataclass
class ToolOptions:
    """What a run offers the model: the tools, rounds per chunk, and what tools may spend."""

    toolbox: Toolbox
    max_rounds: int
    allowance: Allowance
    price: Price  # for reservations: the model's price, else the planner's high fallback


@dataclass
class Answer:
    """How a chunk's conversation ended: the last outcome, and the messages it answers (a
    repair request continues them, offering tools with tool_choice "none")."""

    outcome: Reply
    messages: list[Message]
    tools: bool = False  # the conversation offered tools: a repair offers them too


@dataclass
class ToolLoop:
    """One chunk's rounds. `ask` sends messages (tools offered, with the given tool_choice)
    and returns the outcome; `measure` estimates a request of those messages; `budget` is
    the input budget a request must stay under (it can shrink while the run learns)."""

    options: ToolOptions
    ask: Ask
    measure: Measure
    budget: Callable[[], int]
    max_output_tokens: int
    results_left: int = TOOL_CHUNK_TOKENS  # what calls and results may still add
    rounds: int = 0  # replies answered with calls so far
    calls: int = 0  # calls run so far (error results included)
    _held: float = 0.0  # reserved for the next request beyond the planned one

    async def run(self, messages: Sequence[Message]) -> Answer:
        """Rounds until the model answers without calls; what is held goes back on any exit."""
        try:
            return await self._rounds(list(messages))
        finally:
            self.options.allowance.give(self._held)
            self._held = 0.0

    async def _rounds(self, convo: list[Message]) -> Answer:
        plain = convo
        answer = Answer(Reply(Usage(), None, "json_schema"), convo)
        for number in range(self.options.max_rounds + 1):
            this = self._held  # what was reserved for this request (0: the planned one)
            ahead = self._reserve_next(convo) if number < self.options.max_rounds else None
            self._held = this + (ahead or 0.0)  # all of it goes back if the request fails
            try:
                outcome = await self.ask(convo, "auto" if ahead is not None else "none")
            except ChunkFailed as exc:
                if exc.overflow is None or convo is plain:
                    raise
                # The server counts the grown conversation over its window (our estimate
                # said it fits): answer from the planned request, which it took before.
                self.options.allowance.give(ahead or 0.0)
                ahead, convo = None, plain
                self._held = this
                outcome = await self.ask(convo, "none")
            self._held = ahead or 0.0
            if number:
                self.options.allowance.give(this - self._cost(outcome, this))
            answer.outcome, answer.messages = outcome, convo
            if not outcome.tool_calls:
                return answer
            if ahead is None:  # a server that ignores tool_choice "none", or a stubborn model
                outcome.review, outcome.problem = None, CALLED_PAST_LIMIT
                return answer
            convo = await self._answer_calls(convo, outcome)
            if self.measure(convo) > self.budget():
                # Not even the last request would fit: answer from the first, no more calls.
                convo, self.results_left = plain, 0
            self._settle_next(convo)
            answer.messages = convo
        return answer  # not reached: the last round never offers tools

    # --- money ------------------------------------------------------------------------

    def _reserve_next(self, convo: list[Message]) -> float | None:
        """Reserve the worst case of the request after this one (a round with calls is
        always followed by one); None when tools are not offered: too little room for
        results, or the allowance cannot cover it."""
        prompt = self.measure(convo)
        room = min(self.results_left, self.budget() - prompt)
        if room < MIN_TOOL_ROOM_TOKENS:
            return None
        worst_prompt = min(prompt + self.max_output_tokens + room, self.budget())
        worst = self._price(worst_prompt, self.max_output_tokens)
        return worst if self.options.allowance.take(worst) else None

    def _settle_next(self, convo: list[Message]) -> None:
        """The next request's prompt is known now: keep only what its worst output needs."""
        need = min(self._price(self.measure(convo), self.max_output_tokens), self._held)
        self.options.allowance.give(self._held - need)
        self._held = need

    def _cost(self, outcome: Reply, held: float) -> float:
        """What an answered request cost, to settle what was held for it."""
        usage = outcome.usage
        if usage.cost_known and usage.requests:
            return usage.cost_usd
        if usage.prompt_tokens or usage.completion_tokens:
            return cost_from_tokens(
                self.options.price,
                prompt_tokens=usage.prompt_tokens,
                cached_tokens=usage.cached_tokens,
                completion_tokens=usage.completion_tokens,
            )
        return held  # no figures: count the worst case

    def _price(self, prompt_tokens: int, output_tokens: int) -> float:
        return cost_from_tokens(
            self.options.price,
            prompt_tokens=prompt_tokens,
            cached_tokens=0,
            completion_tokens=output_tokens,
        )

    # --- calls ------------------------------------------------------------------------

    async def _answer_calls(self, convo: list[Message], outcome: Reply) -> list[Message]:
        calls = _unique_ids(outcome.tool_calls[:MAX_CALLS_PER_ROUND], convo)
        dropped = len(outcome.tool_calls) - len(calls)
        convo = [*convo, calls_message(outcome.content, calls)]
        self.results_left -= message_tokens(convo[-1])
        caps = self._caps(convo, calls)
        if all(cap >= MIN_RESULT_TOKENS for cap in caps):
            work = [(c.name, c.arguments) for c in calls]
            box = self.options.toolbox
            results = await asyncio.to_thread(run_all, box, work, max_tokens=caps)
        else:
            results = [ToolResult(NO_ROOM, error=True) for _ in calls]
        if dropped:
            last = results[-1]
            note = f"\n[{dropped} more call(s) not run: at most {MAX_CALLS_PER_ROUND} per round]"
            results[-1] = ToolResult(last.text + note, last.error)
        added = [result_message(c.id, r.text) for c, r in zip(calls, results, strict=True)]
        self.results_left -= sum(message_tokens(m) for m in added)
        self.rounds += 1
        self.calls += len(calls)
        return [*convo, *added]

    def _caps(self, convo: list[Message], calls: Sequence[ToolCall]) -> list[int]:
        """Each call's share of the room left: the chunk's tool budget, what the request
        leaves under the input budget, at most TOOL_CALL_TOKENS each."""
        room = min(self.results_left, self.budget() - self.measure(convo))
        framing = sum(estimate_tokens(c.id) + MESSAGE_OVERHEAD_TOKENS for c in calls)
        share = (room - framing) // max(len(calls), 1)
        return [min(TOOL_CALL_TOKENS, share)] * len(calls)


def _unique_ids(calls: Sequence[ToolCall], convo: Sequence[Message]) -> list[ToolCall]:
    """`calls` with ids no other call of the conversation has: each result must answer one
    call, and servers that send no ids (or repeat them) would otherwise make two alike."""
    taken = {c["id"] for m in convo for c in m.get("tool_calls") or ()}
    out = []
    for call in calls:
        new_id, n = call.id, 1
        while new_id in taken:
            n += 1
            new_id = f"{call.id}_{n}"
        taken.add(new_id)
        out.append(call if new_id == call.id else replace(call, id=new_id))
    return out
