"""Model prices (USD per 1M tokens) and cost arithmetic; users override via settings."""

from __future__ import annotations

from collections.abc import Mapping

from bot.models import Frozen

OUTPUT_TOKENS_PER_REQUEST = 2_000  # what an upper cost estimate assumes each reply takes
TICKS_PER_USD = 10_000_000_000  # xAI's usage.cost_in_usd_ticks: 1 USD = 1e10 ticks


class Price(Frozen):
    input: float
    cached: float
    output: float  # reasoning tokens are billed as output


# grok-code-fast-1 was retired on 2026-05-15; requests naming it are served by grok-4.3
# and billed at grok-4.3 rates (docs.x.ai migration notes), so it shares that price.
_GROK_43 = Price(input=1.25, cached=0.20, output=2.50)
DEFAULT_PRICES: dict[str, Price] = {
    "grok-code-fast-1": _GROK_43,
    "grok-4.3": _GROK_43,
    "grok-build-0.1": Price(input=1.00, cached=0.20, output=2.00),
}
# What plans and caps assume for a model without a price: high rather than free, so an
# estimate never under-warns and a `max_cost_usd` cap still cuts. A billed review of such a
# model shows "cost unknown" instead (bot.output.formats.usage_line).
FALLBACK_PRICE = Price(input=3.00, cached=0.75, output=15.00)


def known_price(
    model: str, overrides: Mapping[str, Mapping[str, float]] | None = None
) -> Price | None:
    """The price of `model` from a user override or the built-in table; None when neither
    names it (a local or unlisted model: its cost is unknown, not zero)."""
    if overrides and model in overrides:
        base = DEFAULT_PRICES.get(model, FALLBACK_PRICE).model_dump()
        return Price(**{**base, **overrides[model]})
    return DEFAULT_PRICES.get(model)


def price_for(model: str, overrides: Mapping[str, Mapping[str, float]] | None = None) -> Price:
    """The price of `model` for estimates: its known price, else the high fallback."""
    return known_price(model, overrides) or FALLBACK_PRICE


def cost_from_tokens(
    price: Price, *, prompt_tokens: int, cached_tokens: int, completion_tokens: int
) -> float:
    """USD for one request; cached tokens are part of prompt_tokens, billed at the cached rate."""
    uncached = max(prompt_tokens - cached_tokens, 0)
    total = uncached * price.input + cached_tokens * price.cached + completion_tokens * price.output
    return total / 1_000_000


def cost_from_ticks(ticks: int | float) -> float:
    """USD from xAI's billed ticks."""
    return float(ticks) / TICKS_PER_USD
