"""Hostile repository configs and settings are errors that name the problem, never crashes."""

from __future__ import annotations

import pytest

from bot.config import parse_config
from bot.errors import ConfigError
from bot.settings import load_settings

HOSTILE_CONFIGS = {
    "20k nested [": ("include: " + "[" * 20_000 + "]" * 20_000, "nested too deeply"),
    "3k nested blocks": ("a:\n" + "".join(" " * i + "b:\n" for i in range(1, 3000)), "nested"),
    "5k nested flow maps": ("x: " + "{a: " * 5_000 + "1" + "}" * 5_000, "nested too deeply"),
    "5,000-digit int": ("max_requests: " + "9" * 5_000, "too many digits"),
    "infinite cost cap": ("max_cost_usd: .inf", "max_cost_usd"),
    "NaN confidence": ("min_confidence: .nan", "min_confidence"),
}


@pytest.mark.parametrize(("text", "says"), HOSTILE_CONFIGS.values(), ids=list(HOSTILE_CONFIGS))
def test_hostile_configs_are_config_errors(text: str, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, source="cfg.yml")
    assert caught.value.message.startswith("cfg.yml: ") and says in caught.value.message


HOSTILE_ENV = {
    "GROK_REVIEW_CONCURRENCY": ("9" * 5_000, "concurrency"),
    "GROK_REVIEW_PRICES": ("[" * 20_000 + "]" * 20_000, "nested too deeply"),
    "GROK_REVIEW_TIMEOUT_S": ("9" * 5_000, "timeout_s"),  # a float: infinity, refused
    "GROK_REVIEW_DAILY_BUDGET_USD": ("nan", "daily_budget_usd"),
}


@pytest.mark.parametrize(("name", "value", "says"), [(k, *v) for k, v in HOSTILE_ENV.items()])
def test_hostile_settings_are_config_errors(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, says: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert caught.value.message.startswith("settings: ") and says in caught.value.message
