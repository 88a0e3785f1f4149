"""SQL for the SQLite job store: its tables (prefixed gr_, next to huey's) and statements."""

from __future__ import annotations

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS gr_delivery (id TEXT PRIMARY KEY, received REAL NOT NULL)",
    """CREATE TABLE IF NOT EXISTS gr_job (
        id TEXT PRIMARY KEY, installation_id INTEGER, repo TEXT NOT NULL,
        number INTEGER NOT NULL, head_sha TEXT, trigger TEXT NOT NULL, requested_by TEXT,
        state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, owner TEXT,
        touched REAL NOT NULL, created REAL NOT NULL,
        status TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '', comment_id INTEGER)""",
    "CREATE INDEX IF NOT EXISTS gr_job_pr ON gr_job (repo, number, state)",
    "CREATE INDEX IF NOT EXISTS gr_job_state ON gr_job (state, touched)",
    "CREATE TABLE IF NOT EXISTS gr_lock (pr TEXT PRIMARY KEY, owner TEXT NOT NULL, "
    "expires REAL NOT NULL)",
    "CREATE TABLE IF NOT EXISTS gr_spend (installation TEXT NOT NULL, day TEXT NOT NULL, "
    "usd REAL NOT NULL, PRIMARY KEY (installation, day))",
    "CREATE TABLE IF NOT EXISTS gr_notice (pr TEXT NOT NULL, day TEXT NOT NULL, "
    "PRIMARY KEY (pr, day))",
    "CREATE TABLE IF NOT EXISTS gr_feedback (repo TEXT PRIMARY KEY, stats TEXT NOT NULL, "
    "saved REAL NOT NULL)",
)
# Files made before answers (/ask, thread replies) have no comment_id column, and files made
# before budget reservations no reserved column: they are added.
ADD_COMMENT_ID = "ALTER TABLE gr_job ADD COLUMN comment_id INTEGER"
ADD_RESERVED = "ALTER TABLE gr_job ADD COLUMN reserved REAL NOT NULL DEFAULT 0"
INSERT_JOB = (
    "INSERT INTO gr_job (id, installation_id, repo, number, head_sha, trigger, requested_by, "
    "comment_id, state, attempts, owner, touched, created) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, NULL, ?, ?)"
)
START_JOB = (
    "UPDATE gr_job SET state = 'running', owner = ?, touched = ?, attempts = attempts + 1, "
    "reserved = 0 WHERE id = ?"
)
# What the installation's other running jobs have set aside of its daily budget.
RESERVED_BY_OTHERS = (
    "SELECT COALESCE(SUM(reserved), 0) FROM gr_job "
    "WHERE installation_id IS ? AND state = 'running' AND id != ?"
)
# Only the attempt that owns a running job may give it back or finish it.
REQUEUE_JOB = (
    "UPDATE gr_job SET state = 'queued', owner = NULL, touched = ? "
    "WHERE id = ? AND state = 'running' AND owner = ?"
)
FINISH_JOB = (
    "UPDATE gr_job SET state = ?, status = ?, detail = ?, owner = NULL, touched = ? "
    "WHERE id = ? AND state = 'running' AND owner = ?"
)
ADD_SPEND = (
    "INSERT INTO gr_spend (installation, day, usd) VALUES (?, ?, ?) "
    "ON CONFLICT (installation, day) DO UPDATE SET usd = usd + excluded.usd"
)
# Stale `running` jobs: those out of attempts fail (run this first), the rest go back to queued.
FAIL_STALE = (
    "UPDATE gr_job SET state = 'failed', status = 'failed', owner = NULL, "
    "detail = 'worker lost ' || attempts || ' times', touched = ? "
    "WHERE state = 'running' AND touched < ? AND attempts >= ?"
)
REQUEUE_STALE = (
    "UPDATE gr_job SET state = 'queued', owner = NULL, touched = ? "
    "WHERE state = 'running' AND touched < ? RETURNING id"
)
TOUCH_QUEUED = "UPDATE gr_job SET touched = ? WHERE id = ? AND state = 'queued' AND touched < ?"
SELECT_JOB = (
    "SELECT id, installation_id, repo, number, head_sha, trigger, requested_by, comment_id, "
    "state, attempts, owner, touched, status, detail FROM gr_job WHERE id = ?"
)
SUPERSEDE = (
    "UPDATE gr_job SET state = 'superseded', detail = ?, touched = ? "
    "WHERE repo = ? AND number = ? AND state IN ('queued', 'running') "
)
# Only jobs that carry a head can be outdated by a newer one; commands fetch the head late.
SUPERSEDE_OLDER = SUPERSEDE + "AND head_sha IS NOT NULL AND head_sha != ? RETURNING id"
SUPERSEDE_ALL = SUPERSEDE + "RETURNING id"
HEAD_TAKEN = (
    "SELECT 1 FROM gr_job WHERE repo = ? AND number = ? AND head_sha = ? AND trigger = 'auto' "
    "AND (state IN ('queued', 'running') OR (state = 'done' AND status = 'posted')) LIMIT 1"
)
