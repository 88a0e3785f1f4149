"""Repository tools in a review: whether they are offered, what the dry run says they may
cost, and what a run lets them spend (max_cost_usd, the App's daily budget)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.config import ToolsConfig
from bot.context.index import SymbolIndex
from bot.context.snapshot import Snapshot
from bot.context.tools import Toolbox
from bot.models import Plan, worst_case_usd
from bot.plan.build import estimate_tools_cost
from bot.pricing import Price

if TYPE_CHECKING:
    from bot.model.loop import ToolOptions

# The App's daily budget, asked once a run knows its worst case: given that cost in USD, what
# the run may spend (a share of the budget set aside for it, so that concurrent jobs of one
# installation never count the same dollars twice), or None with no daily budget.
BudgetGrant = Callable[[float], float | None]


def granted_budget(budget: BudgetGrant | None, plan: Plan) -> float | None:
    """What the run of `plan` may spend of the App's daily budget (None: no such budget)."""
    return budget(worst_case_usd(plan)) if budget is not None else None


def tools_offered(config: ToolsConfig, snapshot: Snapshot | None) -> bool:
    """Tools need the repository: with no snapshot (a diff file) they are not offered."""
    return config.enabled and snapshot is not None


def plan_tools(
    plan: Plan, config: ToolsConfig, *, offered: bool, price: Price, max_cost_usd: float | None
) -> Plan:
    """`plan` with its tool rounds and the upper estimate with every round used (a cap
    bounds it: tools only spend what the cap leaves), or the note saying why there are none."""
    if not offered:
        note = (
            "off (tools.enabled: false in the repository config)"
            if not config.enabled
            else "not offered: no repository snapshot"
        )
        return plan.model_copy(update={"tools_note": note})
    cost = estimate_tools_cost(
        plan.chunks,
        rounds=config.max_rounds,
        input_budget_tokens=plan.input_budget_tokens,
        price=price,
    )
    if max_cost_usd is not None:
        cost = min(cost, max(max_cost_usd, plan.estimated_cost_usd))
    update = {"tool_rounds": config.max_rounds, "estimated_cost_with_tools_usd": cost}
    return plan.model_copy(update=update)


def tool_options(
    plan: Plan,
    snapshot: Snapshot | None,
    index: SymbolIndex | None,
    *,
    price: Price,
    caps: tuple[float | None, ...],
) -> ToolOptions | None:
    """What the run offers the model, or None without tools. The tool rounds may spend what
    the lowest cap (`max_cost_usd`, the App's daily budget left) leaves above the plan's
    upper estimate; with no cap they are bounded by rounds and tokens only."""
    if not plan.tool_rounds or snapshot is None:
        return None
    set_caps = [c for c in caps if c is not None]
    left = max(min(set_caps) - plan.estimated_cost_usd, 0.0) if set_caps else None
    # The tool loop imports the openai SDK (slow): a dry run, which only plans, never does.
    from bot.model.loop import Allowance, ToolOptions

    return ToolOptions(
        toolbox=Toolbox(snapshot, index=index),
        max_rounds=plan.tool_rounds,
        allowance=Allowance(left),
        price=price,
    )
