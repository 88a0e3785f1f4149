"""The config file and settings: errors name what the user wrote (a flag, a variable, a key),
hostile values are errors rather than crashes, and one glob may be a string."""

from __future__ import annotations

import pytest

from bot.config import RepoConfig, parse_config, with_overrides
from bot.errors import ConfigError, UsageError
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
    "GROK_REVIEW_CONCURRENCY": ("9" * 5_000, "must be a whole number of at most 4,300 digits"),
    "GROK_REVIEW_PRICES": ("[" * 20_000 + "]" * 20_000, "nested too deeply"),
    "GROK_REVIEW_TIMEOUT_S": ("9" * 5_000, "must be a finite number"),  # a float: infinity
    "GROK_REVIEW_DAILY_BUDGET_USD": ("nan", "must be a finite number"),
}


@pytest.mark.parametrize(("name", "value", "says"), [(k, *v) for k, v in HOSTILE_ENV.items()])
def test_hostile_settings_are_config_errors(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, says: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    # Named by the variable the user set, not by the internal key.
    assert caught.value.message.startswith(f"{name}: ") and says in caught.value.message


@pytest.mark.parametrize("key", ["include", "exclude", "skip_labels"])
def test_a_single_string_is_a_list_of_one(key: str) -> None:
    config = parse_config(f'{key}: "docs/**"\n')
    assert getattr(config, key) == ("docs/**",)


def test_config_errors_name_the_key_of_the_file_in_plain_words() -> None:
    with pytest.raises(ConfigError) as exc:
        parse_config("max_comments: 51\nfail_on: sometimes\nmax_requests: lots\n", source="c.yml")
    assert exc.value.message == (
        "c.yml: key 'max_comments': must be at most 50; "
        "key 'fail_on': must be one of 'critical', 'major', 'minor', 'nit' or 'none'; "
        "key 'max_requests': must be a whole number"
    )


def test_overrides_are_named_as_given() -> None:
    with pytest.raises(UsageError) as exc:
        with_overrides(
            RepoConfig(), {"max_comments": 51}, names={"max_comments": "--max-comments 51"}
        )
    assert exc.value.message == "--max-comments 51: must be at most 50"


def test_settings_flags_are_named_as_typed(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError) as exc:
        load_settings(concurrency=0, names={"concurrency": "--concurrency 0"})
    assert exc.value.message == "--concurrency 0: must be at least 1"


def test_settings_from_the_environment_are_named_by_their_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GROK_REVIEW_PRICES", "{bad")
    monkeypatch.setenv("GROK_REVIEW_CONCURRENCY", "0")
    with pytest.raises(ConfigError) as exc:
        load_settings()
    message = exc.value.message
    assert "GROK_REVIEW_CONCURRENCY: must be at least 1" in message
    assert "GROK_REVIEW_PRICES: not valid JSON" in message
    assert "EnvSettingsSource" not in message and "'prices'" not in message


def test_prices_of_the_wrong_shape_name_the_variable_and_the_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GROK_REVIEW_PRICES", '{"my-model": {"input": "cheap"}}')
    with pytest.raises(ConfigError) as exc:
        load_settings()
    assert exc.value.message == "GROK_REVIEW_PRICES (at 'my-model.input'): must be a number"


@pytest.mark.parametrize(
    "url", ["notaurl", "ftp://api.x.ai/v1", "http://", "https://[::1", "api.x.ai/v1", "http://h:0"]
)
def test_base_url_must_be_http_with_a_host(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError) as exc:
        load_settings(base_url=url, names={"base_url": f"--base-url {url}"})
    assert exc.value.message == f"--base-url {url}: must be an http:// or https:// URL with a host"
    monkeypatch.setenv("GITHUB_API_URL", url)
    with pytest.raises(ConfigError, match=r"^GITHUB_API_URL: must be an http"):
        load_settings()


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/v1", "https://api.x.ai/v1", "http://llm"])
def test_good_base_urls_pass(url: str) -> None:
    assert load_settings(base_url=url).base_url == url
