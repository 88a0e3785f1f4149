"""The repository config file (`.github/grok-review.yml`): parse and validate, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import yaml
from pydantic import ConfigDict, Field, ValidationError

from bot.errors import ConfigError, UsageError
from bot.models import Frozen, Severity

DEFAULT_CONFIG_PATH = ".github/grok-review.yml"
TOO_DEEP = "values are nested too deeply"
TOO_LONG_NUMBER = "a number has too many digits (at most 4,300)"
FailOn = Literal["critical", "major", "minor", "nit", "none"]


class PathInstruction(Frozen):
    path: str
    instructions: str


class RepoConfig(Frozen):
    """What a repository may set about its own reviews. Unknown keys are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    enabled: bool = True
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    default_filters: bool = True
    instructions: str = ""
    path_instructions: tuple[PathInstruction, ...] = ()
    min_severity: Severity = "minor"
    min_confidence: float = Field(default=0.5, ge=0.0, le=1.0)
    max_comments: int = Field(default=25, ge=0, le=50)
    fail_on: FailOn = "none"
    request_changes: bool = False
    style_nits: bool = False
    review_drafts: bool = False
    review_bot_prs: bool = False
    skip_labels: tuple[str, ...] = ()
    incremental: bool = True
    max_requests: int | None = Field(default=None, ge=1)
    max_cost_usd: float | None = Field(default=None, gt=0)


def parse_config(text: str, *, source: str = DEFAULT_CONFIG_PATH) -> RepoConfig:
    """Parse YAML text into a RepoConfig; any problem is a ConfigError naming the key."""
    try:
        data = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ConfigError(f"{source}: not valid YAML{where}") from None
    except RecursionError:  # PyYAML builds nested values recursively
        raise ConfigError(f"{source}: {TOO_DEEP}") from None
    except ValueError:  # int() refuses numbers past 4,300 digits
        raise ConfigError(f"{source}: {TOO_LONG_NUMBER}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping of keys, got {type(data).__name__}")
    try:
        return RepoConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {describe_key_errors(exc)}") from None
    except RecursionError:
        raise ConfigError(f"{source}: {TOO_DEEP}") from None


def describe_key_errors(exc: ValidationError) -> str:
    """One line per problem, each naming its key path."""
    parts = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(root)"
        if err["type"] == "extra_forbidden":
            parts.append(f"unknown key '{key}'")
        else:
            parts.append(f"key '{key}': {err['msg']}")
    return "; ".join(parts)


def with_overrides(config: RepoConfig, overrides: Mapping[str, Any] | None) -> RepoConfig:
    """Flags and Action inputs win over the config file, validated the same way."""
    if not overrides:
        return config
    try:
        return RepoConfig.model_validate({**config.model_dump(), **overrides})
    except ValidationError as exc:
        raise UsageError(describe_key_errors(exc)) from None
