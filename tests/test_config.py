"""The config file and settings: errors name what the user wrote; one glob may be a string."""

from __future__ import annotations

import pytest

from bot.config import RepoConfig, parse_config, with_overrides
from bot.errors import ConfigError, UsageError
from bot.settings import load_settings


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
