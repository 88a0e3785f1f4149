"""The one error family and the wrapper every entry point ends with."""

from __future__ import annotations

import pytest

from bot.errors import BotError, ConfigError, GitHubAccessError, ModelError, exit_code_of


def _raise(exc: BaseException) -> int:
    raise exc


@pytest.mark.parametrize(
    ("error", "code"),
    [(ConfigError("bad key 'x'"), 2), (ModelError("model down"), 3), (GitHubAccessError("no"), 2)],
)
def test_a_bot_error_is_reported_once_and_becomes_its_exit_code(error: BotError, code: int) -> None:
    reported: list[BotError] = []
    assert exit_code_of(lambda: _raise(error), on_error=reported.append) == code
    assert reported == [error]


def test_a_clean_run_returns_its_own_code_and_reports_nothing() -> None:
    reported: list[BotError] = []
    assert exit_code_of(lambda: 1, on_error=reported.append) == 1
    assert reported == []


def test_ctrl_c_is_130_and_told_when_asked() -> None:
    told: list[str] = []
    run = lambda: _raise(KeyboardInterrupt())  # noqa: E731
    assert exit_code_of(run, on_error=print, on_interrupt=lambda: told.append("stop")) == 130
    assert told == ["stop"]
    assert exit_code_of(run, on_error=print) == 130


def test_other_exceptions_are_not_swallowed() -> None:
    with pytest.raises(ZeroDivisionError):
        exit_code_of(lambda: 1 // 0, on_error=print)
