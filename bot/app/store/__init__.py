"""Durable delivery and job records (huey does not acknowledge tasks): SQLite or Redis.

`base` holds the Store protocol and what both backends share; `open_store` picks one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.app.store.base import (
    CLOSED_DETAIL,
    DELIVERY_TTL_S,
    JOB_STATES,
    REDIS_PREFIX,
    SQLITE_BUSY_TIMEOUT_S,
    SQLITE_FILE,
    TIMEOUT_REASON,
    Accepted,
    AcceptOutcome,
    Claim,
    ClaimOutcome,
    JobRecord,
    JobState,
    Store,
    StoreError,
    StoreKind,
    final_state,
    installation_key,
    newer_head_detail,
    pr_key,
    utc_day,
)

if TYPE_CHECKING:
    from bot.settings import Settings

__all__ = [
    "CLOSED_DETAIL",
    "DELIVERY_TTL_S",
    "JOB_STATES",
    "REDIS_PREFIX",
    "SQLITE_BUSY_TIMEOUT_S",
    "SQLITE_FILE",
    "TIMEOUT_REASON",
    "AcceptOutcome",
    "Accepted",
    "Claim",
    "ClaimOutcome",
    "JobRecord",
    "JobState",
    "Store",
    "StoreError",
    "StoreKind",
    "final_state",
    "installation_key",
    "newer_head_detail",
    "open_store",
    "pr_key",
    "utc_day",
]


def open_store(settings: Settings) -> Store:
    """Redis when GROK_REVIEW_REDIS_URL is set, else SQLite (WAL) under the data dir."""
    if settings.redis_url:
        from bot.app.store.redis import RedisStore

        return RedisStore(settings.redis_url)
    from bot.app.store.sqlite import SqliteStore

    return SqliteStore(settings.data_dir / SQLITE_FILE)
