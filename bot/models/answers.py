"""The model's answers as the pipeline passes them on: per chunk, progress, plain text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.models.review import Finding, Overview, Usage


@dataclass(frozen=True)
class ProgressEvent:
    """Sent after each chunk finishes; counts are totals so far."""

    done: int
    total: int
    prompt_tokens: int
    completion_tokens: int
    failed: int


@dataclass(frozen=True)
class ContextOverflow:
    """What a server said when it refused a request as longer than its context."""

    n_ctx: int | None = None  # its context window in tokens, when the message states it
    prompt_tokens: int | None = None  # its count of the refused prompt, when stated


@dataclass(frozen=True)
class ChunkResult:
    index: int  # 0-based position in chunk_texts
    findings: tuple[Finding, ...]
    usage: Usage  # every request sent for this chunk, repairs and failures included
    served_model: str | None
    error: str | None = None  # set when the chunk failed; findings are then empty
    too_long: bool = False  # the server said the request exceeds the model's context
    overflow: ContextOverflow | None = None  # what it said about its context, with too_long
    mode: str | None = None  # the structured-output mode of the answer used
    dropped: int = 0  # findings dropped as malformed (no title or no body)
    # What the run learned about the server while asking about this chunk, said once.
    notes: tuple[str, ...] = ()
    overviews: tuple[Overview, ...] = ()  # one per answered request (slices add more)
    role: Literal["chunk", "overview"] = "chunk"  # "overview": the request merging the parts


@dataclass(frozen=True)
class TextReply:
    """A plain-text answer from the model (an /ask, a reply in a thread, an overview merge)."""

    text: str  # "" when it failed
    usage: Usage  # every request sent for it
    served_model: str | None = None
    error: str | None = None  # why there is no usable answer
    notes: tuple[str, ...] = ()
