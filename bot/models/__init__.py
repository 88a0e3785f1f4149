"""Frozen data passed between pipeline stages: diffs, plans, findings, reviews, answers.

Ground floor: imports no package of bot. `from bot.models import X` is the way in; the
modules split the names by stage.
"""

from bot.models.answers import ChunkResult, ContextOverflow, ProgressEvent, TextReply
from bot.models.core import (
    SEVERITIES,
    Category,
    ContextSource,
    FileStatus,
    Frozen,
    LineKind,
    Severity,
    Side,
    SkipReason,
    at_least,
    severity_rank,
)
from bot.models.diff import DiffLine, FileDiff, Hunk, LineMap, PullRequest
from bot.models.plan import (
    Chunk,
    ContextPiece,
    Plan,
    SkippedFile,
    requests_lower_bound,
    worst_case_usd,
)
from bot.models.review import (
    Finding,
    FocusSpot,
    LeftOut,
    MutedKind,
    Overview,
    OverviewFile,
    Review,
    Usage,
)

__all__ = [
    "SEVERITIES",
    "Category",
    "Chunk",
    "ChunkResult",
    "ContextOverflow",
    "ContextPiece",
    "ContextSource",
    "DiffLine",
    "FileDiff",
    "FileStatus",
    "Finding",
    "FocusSpot",
    "Frozen",
    "Hunk",
    "LeftOut",
    "LineKind",
    "LineMap",
    "MutedKind",
    "Overview",
    "OverviewFile",
    "Plan",
    "ProgressEvent",
    "PullRequest",
    "Review",
    "Severity",
    "Side",
    "SkipReason",
    "SkippedFile",
    "TextReply",
    "Usage",
    "at_least",
    "requests_lower_bound",
    "severity_rank",
    "worst_case_usd",
]
