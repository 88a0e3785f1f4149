"""The review's overview from its chunks' parts: paths of the PR only, one summary, focus spots.

A one-chunk review takes its one part as it is. A review in several parts (chunks, or slices
of a chunk re-sent smaller) asks one small extra request to merge their summaries; when that
fails the summaries are joined one after another and the review says so. Model text is kept
as data here; it is defused where it is rendered (bot.output.overview).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import zip_longest
from typing import TYPE_CHECKING, Any

from bot.diff.parse import build_line_map
from bot.model.overview import LINE_CHARS, SUMMARY_CHARS, one_line
from bot.models import ChunkResult, FileDiff, FocusSpot, Overview, OverviewFile, Plan

if TYPE_CHECKING:
    from bot.model.session import RunState
    from bot.settings import Settings

MAX_FOCUS = 5
JOINED_SUMMARY_CHARS = 4_000  # the parts' summaries one after another, when they were not merged
MERGE_FAILED = (
    "The overview's parts could not be merged into one summary ({error}); "
    "they are shown one after another."
)


def overview_parts(results: Sequence[ChunkResult]) -> list[Overview]:
    """Every chunk's (and slice's) overview, in chunk order."""
    return [o for r in results if r.role == "chunk" for o in r.overviews]


async def merge_parts(
    client: Any,  # the run's openai.AsyncOpenAI (only bot.model imports openai)
    results: Sequence[ChunkResult],
    *,
    settings: Settings,
    model: str,
    title: str,
    conv_id: str,
    state: RunState,
) -> ChunkResult | None:
    """The request merging the parts' summaries (None when there are fewer than two), as a
    result of its own so that its cost counts in the review; a failure leaves a note."""
    from bot.model.answer import merge_overview

    parts = [p for p in overview_parts(results) if p.summary]
    if len(parts) < 2:
        return None
    reply = await merge_overview(
        client,
        settings=settings,
        model=model,
        title=title,
        parts=parts,
        conv_id=conv_id,
        state=state,
    )
    text = one_line(reply.text, SUMMARY_CHARS)
    failed = reply.error or (None if text else "the reply was empty")
    notes = (*reply.notes, MERGE_FAILED.format(error=failed)) if failed else reply.notes
    return ChunkResult(
        len(results),
        (),
        reply.usage,
        reply.served_model,
        notes=notes,
        overviews=() if failed else (Overview(summary=text),),
        role="overview",
    )


def build_overview(
    plan: Plan,
    files: Sequence[FileDiff],
    results: Sequence[ChunkResult],
    *,
    push: bool = False,
) -> Overview | None:
    """The overview of a review (None when no chunk was asked about). Pure.

    Files: every reviewed file in the PR's order with what the model said about it (a file
    it named that is not in the PR is left out), then every skipped file, marked not
    reviewed. `push`: the review covers only the latest push.
    """
    if not plan.chunks:
        return None
    parts = overview_parts(results)
    kept = set(plan.kept)
    said: dict[str, list[str]] = {}
    for part in parts:
        for f in part.files:
            lines = said.setdefault(f.path, [])
            if f.path in kept and f.summary and f.summary not in lines:
                lines.append(f.summary)
    rows = [
        OverviewFile(path=f.path, summary=one_line(" ".join(said.get(f.path, ())), LINE_CHARS))
        for f in files
        if f.path in kept
    ]
    rows += [OverviewFile(path=s.path, summary="", skipped=s.reason) for s in plan.skipped]
    in_pr = [f for f in files if f.path in kept]
    return Overview(
        summary=_summary(parts, results),
        files=tuple(rows),
        focus=_focus(parts, in_pr),
        push=push,
    )


def _summary(parts: Sequence[Overview], results: Sequence[ChunkResult]) -> str:
    merged = [o.summary for r in results if r.role == "overview" for o in r.overviews]
    if merged and merged[0]:
        return merged[0]
    texts = [p.summary for p in parts if p.summary]
    return one_line(" ".join(texts), JOINED_SUMMARY_CHARS) if texts else ""


def _focus(parts: Sequence[Overview], files: Sequence[FileDiff]) -> tuple[FocusSpot, ...]:
    """The parts' spots taken in turn (each part's first, then each part's second, …), on
    files of the PR only; a line the diff does not show on the new side is dropped."""
    lines = {f.path: build_line_map(f).right for f in files}
    out: list[FocusSpot] = []
    for round_ in zip_longest(*(p.focus for p in parts)):
        for spot in round_:
            if spot is None or (spot.path is not None and spot.path not in lines):
                continue
            line = spot.line if spot.path and spot.line in lines[spot.path] else None
            checked = FocusSpot(path=spot.path, line=line, note=spot.note)
            if checked not in out:
                out.append(checked)
            if len(out) == MAX_FOCUS:
                return tuple(out)
    return tuple(out)
