"""The repository config file (`.github/grok-review.yml`): parse and validate, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import yaml
from pydantic import ConfigDict, Field, ValidationError, field_validator

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
    overview: bool = True  # a walkthrough of the change with the review (a few hundred tokens)

    @field_validator("include", "exclude", "skip_labels", mode="before")
    @classmethod
    def _one_as_a_list(cls, value: Any) -> Any:
        # `exclude: "docs/**"` means a list of one; YAML gives a plain string for it.
        return (value,) if isinstance(value, str) else value

    @property
    def reads_repository(self) -> bool:
        """Whether a review would read the repository (context or the model's tools); when
        neither is on, no snapshot is made: no git reads, no GitHub requests."""
        return self.context.enabled or self.tools.enabled


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


def describe_key_errors(exc: ValidationError, *, names: Mapping[str, str] | None = None) -> str:
    """One part per problem, each naming the key as the user wrote it: `names` maps a key to
    where its value came from (a flag, an Action input, an environment variable); any other
    key is named as in the config file."""
    parts = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        key = ".".join(loc) or "(root)"
        if err["type"] == "extra_forbidden":
            parts.append(f"unknown key '{key}'")
        elif names and loc and loc[0] in names:
            inner = f" (at '{'.'.join(loc[1:])}')" if len(loc) > 1 else ""
            parts.append(f"{names[loc[0]]}{inner}: {_reason(err)}")
        else:
            parts.append(f"key '{key}': {_reason(err)}")
    return "; ".join(parts)


def _reason(err: Any) -> str:
    """pydantic's message in the words of a config file or a command line."""
    ctx = err.get("ctx") or {}
    bounds = {
        "less_than_equal": "at most {le}",
        "greater_than_equal": "at least {ge}",
        "less_than": "less than {lt}",
        "greater_than": "more than {gt}",
        "literal_error": "one of {expected}",
    }
    kinds = {
        "int_parsing": "a whole number",
        "int_type": "a whole number",
        "int_from_float": "a whole number",
        "int_parsing_size": "a whole number of at most 4,300 digits",
        "finite_number": "a finite number",
        "float_parsing": "a number",
        "float_type": "a number",
        "bool_parsing": "true or false",
        "bool_type": "true or false",
        "string_type": "text",
        "tuple_type": "a list",
        "list_type": "a list",
        "dict_type": "a mapping",
    }
    if err["type"] in bounds:
        return "must be " + bounds[err["type"]].format(**ctx)
    if err["type"] in kinds:
        return "must be " + kinds[err["type"]]
    message = str(err["msg"])
    return message.removeprefix("Value error, ")


def with_overrides(
    config: RepoConfig,
    overrides: Mapping[str, Any] | None,
    *,
    names: Mapping[str, str] | None = None,
) -> RepoConfig:
    """Flags and Action inputs win over the config file, validated the same way; `names`
    says how each was given (e.g. "--max-comments 51"), for the error message."""
    if not overrides:
        return config
    try:
        return RepoConfig.model_validate({**config.model_dump(), **overrides})
    except ValidationError as exc:
        raise UsageError(describe_key_errors(exc, names=names)) from None
