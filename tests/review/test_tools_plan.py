"""Tools in a prepared review: offered only with a snapshot, their definitions counted in
every request, the dry run's upper estimate, and what a run lets them spend."""

from __future__ import annotations

from typing import Any

import pytest

from bot.config import RepoConfig
from bot.model.prompt import prefix_tokens
from bot.model.toolcalls import TOOLS_TOKENS
from bot.models import PullRequest, worst_case_usd
from bot.plan.build import estimate_cost
from bot.pricing import price_for
from bot.review.pipeline import Prepared, prepare_review
from bot.review.tools import tool_options
from bot.settings import Settings
from tests.context.shop import BASE, HEAD, make_diff, snapshot

SETTINGS = Settings(api_key=None, prices={})


def prepare(*, snap: Any = "default", **config: Any) -> Prepared:
    pr = PullRequest(title="Discounts", files=make_diff(BASE, HEAD))
    return prepare_review(
        pr,
        RepoConfig(**config),
        SETTINGS,
        snapshot=snapshot(HEAD) if snap == "default" else snap,
    )


def test_with_a_snapshot_every_request_counts_the_tools_and_the_help() -> None:
    on, off = prepare(), prepare(tools={"enabled": False})
    assert "Repository tools: " in on.prefix_messages[0]["content"]
    assert "Repository tools: " not in off.prefix_messages[0]["content"]
    assert on.plan.prefix_tokens == prefix_tokens(on.prefix_messages) + TOOLS_TOKENS
    assert off.plan.prefix_tokens == prefix_tokens(off.prefix_messages)
    assert all(c.estimated_tokens <= on.plan.input_budget_tokens for c in on.plan.chunks)
    assert (on.plan.tool_rounds, on.plan.tools_note) == (4, None)
    assert off.plan.tool_rounds == 0 and "tools.enabled: false" in (off.plan.tools_note or "")


def test_without_a_snapshot_no_tools_are_offered() -> None:
    alone = prepare(snap=None)
    assert alone.plan.tool_rounds == 0 and "no repository" in (alone.plan.tools_note or "")
    assert "Repository tools" not in alone.prefix_messages[0]["content"]
    price = price_for("grok-code-fast-1")
    assert tool_options(alone.plan, None, None, price=price, caps=(None, None)) is None


def test_the_upper_estimate_counts_every_round_and_a_cap_bounds_it() -> None:
    price = price_for("grok-code-fast-1")
    two = prepare(tools={"max_rounds": 2}).plan
    four = prepare().plan
    assert four.estimated_cost_with_tools_usd > two.estimated_cost_with_tools_usd
    assert two.estimated_cost_with_tools_usd > estimate_cost(two.chunks, price=price)
    capped = prepare(max_cost_usd=0.02).plan
    assert capped.estimated_cost_usd <= capped.estimated_cost_with_tools_usd <= 0.02
    assert worst_case_usd(four) == four.estimated_cost_with_tools_usd
    off = prepare(tools={"enabled": False}).plan
    assert worst_case_usd(off) == off.estimated_cost_usd > 0
    # A tools estimate under the plan's own (a tight cap) never lowers the worst case.
    under = four.model_copy(update={"estimated_cost_with_tools_usd": 0.0})
    assert worst_case_usd(under) == four.estimated_cost_usd


@pytest.mark.parametrize(
    ("caps", "left"),
    [((None, None), None), ((1.0, None), 1.0), ((1.0, 0.5), 0.5), ((None, 0.25), 0.25)],
)
def test_tools_may_spend_what_the_lowest_cap_leaves_above_the_plan(
    caps: tuple[float | None, float | None], left: float | None
) -> None:
    prepared = prepare()
    price = price_for("grok-code-fast-1")
    options = tool_options(prepared.plan, prepared.snapshot, prepared.index, price=price, caps=caps)
    assert options is not None and options.max_rounds == 4
    expected = None if left is None else left - prepared.plan.estimated_cost_usd
    assert options.allowance.left == (
        None if expected is None else pytest.approx(max(expected, 0.0))
    )
    tiny = tool_options(
        prepared.plan, prepared.snapshot, prepared.index, price=price, caps=(0.0001, None)
    )
    assert tiny is not None and tiny.allowance.left == 0.0
