"""One error family: every failure a user can meet is a BotError with an exit code."""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum

INTERRUPTED = 130  # the shell's code for a run stopped by Ctrl-C (128 + SIGINT)


class ExitCode(IntEnum):
    """What `review-pr`, the Action and a GitHub run end with."""

    REVIEWED = 0  # reviewed, or nothing to review
    BLOCKING = 1  # a finding at or above fail_on
    BAD_INPUT = 2  # bad usage, config, input or key; a token that cannot read or post
    INCOMPLETE = 3  # the model or GitHub failed and left the review incomplete


def review_exit_code(*, blocking: bool, incomplete: bool) -> ExitCode:
    """BLOCKING wins over INCOMPLETE: a blocking finding is certain even if part failed."""
    if blocking:
        return ExitCode.BLOCKING
    return ExitCode.INCOMPLETE if incomplete else ExitCode.REVIEWED


class BotError(Exception):
    """Base of every error the bot reports to a person (one line, no traceback)."""

    exit_code = 3

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(BotError):
    """Bad flags or arguments."""

    exit_code = 2


class ConfigError(BotError):
    """A config file or setting that does not validate; the message names the key."""

    exit_code = 2


class DiffError(BotError):
    """Input that is not a unified diff."""

    exit_code = 2


class MissingKeyError(BotError):
    """No model API key where one is needed."""

    exit_code = 2


class UpstreamError(BotError):
    """The model or GitHub failed in a way that left the work incomplete."""

    exit_code = 3


class ModelError(UpstreamError):
    """The model server failed after retries, or its reply never validated."""


class GitHubError(UpstreamError):
    """GitHub answered with an error after retries."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class GitHubAccessError(GitHubError):
    """The token cannot read the PR or cannot write what was asked (401/403/404)."""

    exit_code = 2


class SnapshotError(BotError):
    """The repository snapshot could not be made; the review goes on without it."""


def exit_code_of(
    run: Callable[[], int],
    *,
    on_error: Callable[[BotError], None],
    on_interrupt: Callable[[], None] | None = None,
) -> int:
    """Run an entry point: a BotError is reported in one line and becomes its exit code.

    Every entry point (review-pr, review-bot, the Action) ends this way, so a person never
    sees a traceback for a mistake they can fix; each says it in its own words.
    """
    try:
        return run()
    except BotError as exc:
        on_error(exc)
        return exc.exit_code
    except KeyboardInterrupt:
        if on_interrupt is not None:
            on_interrupt()
        return INTERRUPTED
