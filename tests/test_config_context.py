"""The `context:` key of the repository config."""

from __future__ import annotations

import pytest

from bot.config import DEFAULT_CONTEXT_TOKENS, RepoConfig, parse_config, with_overrides
from bot.errors import ConfigError


def test_context_is_on_by_default_with_a_token_cap() -> None:
    config = parse_config("")
    assert config.context.enabled is True
    assert config.context.max_tokens == DEFAULT_CONTEXT_TOKENS == 20_000


def test_context_can_be_turned_off_or_capped() -> None:
    config = parse_config("context:\n  enabled: false\n  max_tokens: 5000\n")
    assert (config.context.enabled, config.context.max_tokens) == (False, 5000)
    assert parse_config("context: {max_tokens: 0}\n").context.enabled is True


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("context: {max_token: 5}\n", "unknown key 'context.max_token'"),
        ("context: {max_tokens: -1}\n", "key 'context.max_tokens'"),
        ("context: {enabled: maybe}\n", "key 'context.enabled'"),
        ("context: 40000\n", "key 'context'"),
    ],
)
def test_mistakes_name_the_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(text)


def test_overrides_keep_the_context_settings() -> None:
    config = RepoConfig(context={"enabled": False, "max_tokens": 7})
    assert with_overrides(config, {"max_comments": 3}).context == config.context
