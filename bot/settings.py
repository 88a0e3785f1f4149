"""Process settings from the environment (GROK_REVIEW_* and a few plain names)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError

from bot.config import TOO_DEEP, describe_key_errors
from bot.errors import ConfigError

DEFAULT_BASE_URL = "https://api.x.ai/v1"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="GROK_REVIEW_",
        extra="ignore",
        frozen=True,
        populate_by_name=True,
        allow_inf_nan=False,  # `1e999` is no timeout, price or budget
    )

    # Model
    api_key: str | None = Field(
        default=None, validation_alias=AliasChoices("GROK_REVIEW_API_KEY", "XAI_API_KEY")
    )
    base_url: str = DEFAULT_BASE_URL
    model: str = "grok-code-fast-1"
    context_tokens: int = Field(default=256_000, ge=4_000)
    max_output_tokens: int = Field(default=10_000, ge=256)
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    concurrency: int = Field(default=4, ge=1, le=64)
    rpm: int = Field(default=480, ge=1)
    tpm: int = Field(default=2_000_000, ge=1)
    timeout_s: float = Field(default=300.0, gt=0)
    # A server that does not accept the connection within this is down or unreachable.
    connect_timeout_s: float = Field(default=10.0, gt=0)
    # While a request is in flight, check this often that the server still listens; one that
    # went away is noticed in two checks instead of after timeout_s. 0 turns checks off.
    probe_s: float = Field(default=5.0, ge=0)
    # NoDecode: the JSON is parsed by _parse_prices, so a typo is an error naming the variable.
    prices: Annotated[dict[str, dict[str, float]], NoDecode] = Field(default_factory=dict)
    model_retries: int = Field(default=4, ge=0)
    retry_base_s: float = Field(default=1.0, ge=0)
    retry_max_s: float = Field(default=60.0, ge=0)

    # GitHub
    github_token: str | None = Field(
        default=None, validation_alias=AliasChoices("GROK_REVIEW_GITHUB_TOKEN", "GITHUB_TOKEN")
    )
    github_api_url: str = Field(
        default="https://api.github.com",
        validation_alias=AliasChoices("GROK_REVIEW_GITHUB_API_URL", "GITHUB_API_URL"),
    )
    github_app_id: str | None = Field(
        default=None, validation_alias=AliasChoices("GROK_REVIEW_GITHUB_APP_ID", "GITHUB_APP_ID")
    )
    github_app_private_key: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "GROK_REVIEW_GITHUB_APP_PRIVATE_KEY", "GITHUB_APP_PRIVATE_KEY"
        ),
    )
    github_webhook_secret: str | None = Field(
        default=None,
        validation_alias=AliasChoices("GROK_REVIEW_GITHUB_WEBHOOK_SECRET", "GITHUB_WEBHOOK_SECRET"),
    )
    github_retries: int = Field(default=3, ge=0)
    github_write_spacing_s: float = Field(default=1.0, ge=0)
    github_secondary_wait_s: float = Field(default=60.0, ge=0)
    github_retry_base_s: float = Field(default=1.0, ge=0)

    # Repository snapshot on GitHub: one archive download when the head's files total at
    # most snapshot_archive_mb; past it, at most snapshot_blob_files files near the change,
    # one request each. The App keeps snapshots under data_dir up to snapshot_cache_mb.
    snapshot_archive_mb: int = Field(default=100, ge=1)
    snapshot_blob_files: int = Field(default=50, ge=0)
    snapshot_timeout_s: float = Field(default=60.0, gt=0)
    snapshot_cache_mb: int = Field(default=1024, ge=0)

    # Service
    redis_url: str | None = None
    data_dir: Path = Path("~/.local/share/grok-review").expanduser()
    daily_budget_usd: float | None = Field(default=None, gt=0)
    heartbeat_s: float = Field(default=15.0, gt=0)
    stale_after_s: float = Field(default=120.0, gt=0)
    requeue_interval_s: float = Field(default=60.0, gt=0)
    job_retry_delay_s: float = Field(default=10.0, ge=0)
    job_retries: int = Field(default=3, ge=0)
    # One attempt running longer is abandoned and recorded as failed (reason `timeout`).
    job_timeout_s: float = Field(default=1800.0, gt=0)
    # How often idle workers look for jobs; unset: the heartbeat period, at most 0.5 s.
    poll_s: float | None = Field(default=None, ge=0.01)
    # SIGTERM: wait this long for running jobs; fits the usual 30 s before SIGKILL.
    shutdown_grace_s: float = Field(default=25.0, ge=0)
    # `review-bot worker` serves /metrics and /healthz on this port; unset: no server.
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    # The App refreshes a repository's feedback figures (metrics) after a job in it, at most
    # this often per worker process: the figures cost GitHub requests, a scrape costs none.
    feedback_refresh_s: float = Field(default=3600.0, ge=0)
    # Answers in one of the bot's review threads within 24 hours, at most (0: never answer).
    thread_replies_per_day: int = Field(default=5, ge=0)
    # `review-bot serve` under load or attack (docs/operations.md, "Limits"): webhook bodies
    # held before their signature is checked, all requests together; the time a body may take
    # to arrive and the time a request's headers may take; open connections (uvicorn's
    # limit_concurrency: 503 beyond it); how long an idle keep-alive connection stays open.
    webhook_buffer_mb: int = Field(default=100, ge=1, le=10_000)
    webhook_body_timeout_s: float = Field(default=10.0, gt=0)
    http_header_timeout_s: float = Field(default=10.0, gt=0)
    http_max_connections: int = Field(default=200, ge=1)
    http_keep_alive_s: int = Field(default=5, ge=1)

    @field_validator("prices", mode="before")
    @classmethod
    def _parse_prices(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return json.loads(value) if value.strip() else {}
            except RecursionError:
                raise ValueError(TOO_DEEP) from None
            except json.JSONDecodeError as exc:
                raise ValueError(
                    f"not valid JSON ({exc.msg} at character {exc.pos}); expected "
                    '{"MODEL": {"input": USD, "cached": USD, "output": USD}} per 1M tokens'
                ) from None
        return value

    @field_validator("base_url", "github_api_url", mode="after")
    @classmethod
    def _http_url(cls, value: str) -> str:
        # Checked at start: a malformed URL would otherwise look like a server that is down
        # (retried with backoff, then exit 3).
        try:
            parts = urlsplit(value.strip())
            ok = parts.scheme in ("http", "https") and bool(parts.hostname)
            ok = ok and (parts.port is None or parts.port > 0)
        except ValueError:
            ok = False
        if not ok:
            raise ValueError("must be an http:// or https:// URL with a host")
        return value.strip()

    @field_validator("data_dir", mode="after")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @property
    def at_xai(self) -> bool:
        """The model server is xAI's API, not one named with a base URL of one's own."""
        return self.base_url.rstrip("/") == DEFAULT_BASE_URL

    @property
    def key_required(self) -> bool:
        """xAI's API needs a key; a server named with a base URL of one's own may not."""
        return self.at_xai

    @property
    def private_key_pem(self) -> str | None:
        """The App private key as PEM text, read from a file when a path is given."""
        key = self.github_app_private_key
        if key is None or "-----BEGIN" in key:
            return key
        path = Path(key).expanduser()
        try:
            return path.read_text()
        except OSError as exc:
            msg = f"GITHUB_APP_PRIVATE_KEY: cannot read {path}: {exc.strerror}"
            raise ConfigError(msg) from None


def _aliases(field: str) -> list[str]:
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info is not None else None
    if isinstance(alias, AliasChoices):
        return [c for c in alias.choices if isinstance(c, str)]
    return []


def env_name(field: str) -> str:
    """The environment variable a Settings field is read from (the one set, if several are)."""
    choices = _aliases(field)
    if choices:
        return next((c for c in choices if c in os.environ), choices[0])
    return f"GROK_REVIEW_{field.upper()}"


def load_settings(*, names: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Settings from the environment plus explicit overrides (flags, inputs).

    An error names what the user typed: `names` maps an override to how it was given (e.g.
    "--concurrency 0"); any other field is named by its environment variable.
    """
    clean = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**clean)
    except ValidationError as exc:
        labels: dict[str, str] = {}
        for field in Settings.model_fields:
            # pydantic names an aliased field's error by its alias, others by the field.
            for loc in (field, *_aliases(field)):
                labels[loc] = (names or {}).get(field, "") if field in clean else env_name(field)
        labels = {loc: label for loc, label in labels.items() if label}
        raise ConfigError(describe_key_errors(exc, names=labels)) from None
    except (SettingsError, ValueError) as exc:  # ValueError: JSON, or int() past 4,300 digits
        raise ConfigError(f"settings: {exc}") from None
    except RecursionError:  # JSON nested thousands deep (GROK_REVIEW_PRICES)
        raise ConfigError(f"settings: {TOO_DEEP}") from None
