"""The vocabulary every stage shares: sides, severities, categories, skip reasons, Frozen."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Side = Literal["RIGHT", "LEFT"]
Severity = Literal["critical", "major", "minor", "nit"]
LineKind = Literal["added", "removed", "context"]
FileStatus = Literal["added", "modified", "deleted", "renamed", "copied"]
ContextSource = Literal["git", "worktree", "github", "none"]
SkipReason = Literal[
    "binary",
    "lockfile",
    "generated",
    "vendored",
    "excluded",
    "deleted",
    "empty",
    "budget",
    "too_large_for_github",
    "beyond_github_file_limit",
]
Category = Literal[
    "bug",
    "security",
    "secret",
    "data-loss",
    "concurrency",
    "error-handling",
    "performance",
    "api-contract",
    "resource-leak",
    "maintainability",
    "testing",
    "documentation",
    "style",
]

# Most severe first; index = rank (lower is more severe).
SEVERITIES: tuple[Severity, ...] = ("critical", "major", "minor", "nit")


def severity_rank(severity: Severity) -> int:
    """0 for critical … 3 for nit, so sorting ascending puts the worst first."""
    return SEVERITIES.index(severity)


def at_least(severity: Severity, threshold: Severity) -> bool:
    """True when `severity` is as bad as `threshold` or worse."""
    return severity_rank(severity) <= severity_rank(threshold)


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
