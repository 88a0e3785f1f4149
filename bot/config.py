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


# Context per request, at most. On real pull requests in six languages
# (benchmarks/bench_context.py) a request's context took 2-4K tokens at the median and
# 6-15K at the 90th percentile, and a 16K cap lost 3 of 738 called definitions. 20K leaves
# room above that while bounding what context adds to a request (about $0.025 at grok-4.3's
# input price).
DEFAULT_CONTEXT_TOKENS = 20_000


class ContextConfig(Frozen):
    """Repository context beside each request (`context:` in the config file)."""

    enabled: bool = True
    max_tokens: int = Field(default=DEFAULT_CONTEXT_TOKENS, ge=0)


# Tools the model may call before it answers (bot.context.tools). One call's result is cut at
# TOOL_CALL_TOKENS; what one request's tool rounds add to its conversation (the calls and
# their results) at TOOL_CHUNK_TOKENS, and always at what the input budget leaves.
DEFAULT_TOOL_ROUNDS = 4
TOOL_CALL_TOKENS = 8_000
TOOL_CHUNK_TOKENS = 32_000


class ToolsConfig(Frozen):
    """Read-only repository tools the model may call before it answers (`tools:`)."""

    enabled: bool = True
    max_rounds: int = Field(default=DEFAULT_TOOL_ROUNDS, ge=1, le=10)


class FeedbackConfig(Frozen):
    """What the bot learns from reactions to its earlier comments in the repository."""

    enabled: bool = True
    days: int = Field(default=90, ge=1, le=365)  # how far back comments are read


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
    context: ContextConfig = ContextConfig()
    tools: ToolsConfig = ToolsConfig()
    feedback: FeedbackConfig = FeedbackConfig()


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
