"""The review pipeline's pure ends: prepare (filter, redact, plan, context) and assemble (anchor,
select, summarise); bot.review.ask sends the prepared chunks to the model in between."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from bot.config import RepoConfig
from bot.context.index import SymbolIndex
from bot.context.snapshot import Snapshot
from bot.diff.filters import filter_files
from bot.diff.render import RENDER_FORMAT_HELP
from bot.model.ladder import LADDER, describe_mode
from bot.model.prompt import build_prefix_messages, chunk_text, prefix_tokens
from bot.model.toolcalls import TOOLS_TOKENS, tools_help
from bot.models import (
    ChunkResult,
    FileDiff,
    Finding,
    LeftOut,
    MutedKind,
    Plan,
    PullRequest,
    Review,
    SkippedFile,
    Usage,
)
from bot.plan.build import build_plan, input_budget
from bot.pricing import known_price, price_for
from bot.review.anchor import anchor_findings, restore_paths
from bot.review.context import plan_context
from bot.review.findings import Selection, select_findings, with_fingerprints
from bot.review.overview import build_overview
from bot.review.summary import build_summary
from bot.review.tools import plan_tools, tools_offered
from bot.secrets.redact import redact_files
from bot.settings import Settings


@dataclass(frozen=True)
class Prepared:
    """Everything decided before the model is asked."""

    pr: PullRequest
    config: RepoConfig
    model: str
    files: tuple[FileDiff, ...]  # kept files after redaction: what the model sees
    plan: Plan
    prefix_messages: list[dict[str, str]]
    secret_findings: tuple[Finding, ...]
    conv_id: str
    # The repository at the head, for context; None = a diff-only review. `context_note` says
    # in one line why the review has no (or less) context, for the summary (e.g. "no
    # repository: reviewing a diff file"); None when context went as planned.
    snapshot: Snapshot | None = None
    context_note: str | None = None
    index: SymbolIndex | None = None  # the snapshot's symbols, shared by context and tools

    @cached_property
    def chunk_texts(self) -> tuple[str, ...]:
        """Each chunk's user message, rendered on first use: a dry run never needs them."""
        total = len(self.plan.chunks)
        return tuple(chunk_text(c, index=i, total=total) for i, c in enumerate(self.plan.chunks))


BEYOND_GITHUB_LIMIT = "(files past the first 3,000)"


def conversation_id(pr: PullRequest) -> str:
    """A stable per-PR id so every request of one review shares the provider's prompt cache."""
    key = f"{pr.repo}#{pr.number}" if pr.repo and pr.number else f"{pr.base_sha}:{pr.title}"
    return "grok-review-" + hashlib.sha256(key.encode()).hexdigest()[:24]


def pr_prefix_messages(
    pr: PullRequest,
    config: RepoConfig,
    *,
    agents_md: str | None,
    budget_tokens: int,
    unwanted: Sequence[MutedKind] = (),
    tools_help: str = "",
    overview: bool = True,
) -> list[dict[str, str]]:
    """The prompt prefix of every request about `pr` (reviews and answers alike): system
    rules, then the PR's title, description and the repository's instructions. Every text
    is redacted by build_prefix_messages."""
    return build_prefix_messages(
        title=pr.title,
        body=pr.body,
        instructions=config.instructions,
        path_instructions=config.path_instructions,
        agents_md=agents_md,
        style_nits=config.style_nits,
        format_help=RENDER_FORMAT_HELP,
        budget_tokens=budget_tokens,
        unwanted=unwanted,
        tools_help=tools_help,
        overview=overview,
    )


def source_skipped(
    pr: PullRequest, extra_skipped: Sequence[SkippedFile]
) -> tuple[SkippedFile, ...]:
    """What the source set aside before the filters: `extra_skipped` (files GitHub sent no
    patch for) and, when GitHub listed only its first 3,000 files, the rest."""
    if not pr.github_file_limit_hit:
        return tuple(extra_skipped)
    beyond = SkippedFile(path=BEYOND_GITHUB_LIMIT, reason="beyond_github_file_limit")
    return (*extra_skipped, beyond)


def prepare_review(
    pr: PullRequest,
    config: RepoConfig,
    settings: Settings,
    *,
    agents_md: str | None = None,
    model: str | None = None,
    extra_skipped: Sequence[SkippedFile] = (),
    snapshot: Snapshot | None = None,
    context_note: str | None = None,
    unwanted: Sequence[MutedKind] = (),
) -> Prepared:
    """Filter, redact, build the prompt prefix, plan the chunks and give each its context.
    Pure but for reading `snapshot`.

    `extra_skipped`: files the source already set aside (GitHub sent no patch), listed with
    the filter's skips and counted in the plan's total. `context_note`: why there is no
    snapshot, when there is none. `unwanted`: kinds of findings maintainers voted down, named
    in the prompt prefix (bot.review.feedback.for_prompt).
    """
    model = model or settings.model
    kept, skipped = filter_files(pr.files, config)
    files, secret_findings = redact_files(kept)
    budget = input_budget(settings.context_tokens, settings.max_output_tokens)
    offered = tools_offered(config.tools, snapshot)
    prefix = pr_prefix_messages(
        pr,
        config,
        agents_md=agents_md,
        budget_tokens=budget,
        unwanted=unwanted,
        tools_help=tools_help(config.tools.max_rounds) if offered else "",
        overview=config.overview,
    )
    price = price_for(model, settings.prices)
    plan = build_plan(
        files,
        (*skipped, *source_skipped(pr, extra_skipped)),
        model=model,
        context_tokens=settings.context_tokens,
        max_output_tokens=settings.max_output_tokens,
        # The tools' definitions ride with every request that offers them, like the prefix.
        prefix_tokens=prefix_tokens(prefix) + (TOOLS_TOKENS if offered else 0),
        max_requests=config.max_requests,
        max_cost_usd=config.max_cost_usd,
        price=price,
        files_total=len(pr.files) + len(extra_skipped),
    )
    if known_price(model, settings.prices) is None:
        plan = plan.model_copy(update={"price_known": False})
    plan, index = plan_context(plan, files, snapshot, config, price=price, note=context_note)
    plan = plan_tools(
        plan, config.tools, offered=offered, price=price, max_cost_usd=config.max_cost_usd
    )
    return Prepared(
        pr=pr,
        config=config,
        model=model,
        files=files,
        plan=plan,
        prefix_messages=prefix,
        secret_findings=secret_findings,
        conv_id=conversation_id(pr),
        snapshot=snapshot,
        context_note=plan.context_note,
        index=index,
    )


def assemble_review(
    prepared: Prepared,
    results: Sequence[ChunkResult],
    *,
    anchor_files: Sequence[FileDiff] | None = None,
    posted_fingerprints: Sequence[str] = (),
    reviewed_range: str | None = None,
    muted: Sequence[MutedKind] = (),
    incremental: bool = False,
) -> Review:
    """Anchor, fingerprint, dedupe, threshold and cap the findings into a Review. Pure.

    `muted`: kinds maintainers voted down earlier; findings like them are dropped and counted.
    `incremental`: only the latest push was reviewed (the overview says so).
    """
    files = tuple(anchor_files) if anchor_files is not None else prepared.files
    said = restore_paths([f for r in results for f in r.findings], prepared.files)
    anchored, unplaced = anchor_findings([*prepared.secret_findings, *said], files)
    in_pr = {f.path for f in (*files, *prepared.pr.files)}
    outside = [f for f in unplaced if f.path not in in_pr]
    unanchored = [f for f in unplaced if f.path in in_pr]
    cfg = prepared.config

    def select(found: Sequence[Finding], *, cap: int) -> Selection:
        return select_findings(
            with_fingerprints(found, files),
            min_severity=cfg.min_severity,
            min_confidence=cfg.min_confidence,
            max_comments=cap,
            posted_fingerprints=posted_fingerprints,
            style_nits=cfg.style_nits,
            muted=muted,
        )

    selection = select(anchored, cap=cfg.max_comments)
    # Findings that could not be placed still face the same bar as inline ones, uncapped.
    off_diff = select(unanchored, cap=len(unanchored))
    left_out = LeftOut(
        below_threshold=selection.dropped_below_threshold + off_diff.dropped_below_threshold,
        already_posted=selection.already_posted + off_diff.already_posted,
        duplicates=selection.duplicates + off_diff.duplicates,
        muted=selection.muted + off_diff.muted,
        malformed=sum(r.dropped for r in results),
        outside_pr=len(outside),
    )
    usage = sum((r.usage for r in results), Usage())
    served = next((r.served_model for r in results if r.served_model), None)
    errors = tuple(r.error for r in results if r.error)
    mode, notes = server_notes(results)
    review = Review(
        summary="",
        model=prepared.model,
        served_model=served if served and served != prepared.model else None,
        comments=selection.comments,
        unanchored=off_diff.comments,
        overflow=selection.overflow,
        left_out=left_out,
        skipped_files=prepared.plan.skipped,
        usage=usage,
        errors=errors,
        head_sha=prepared.pr.head_sha,
        reviewed_range=reviewed_range,
        structured_output=mode,
        notes=notes,
        overview=(
            build_overview(prepared.plan, prepared.files, results, push=incremental)
            if cfg.overview
            else None
        ),
    )
    failed = {i for i, r in enumerate(results) if r.error}
    summary = build_summary(
        review, plan=prepared.plan, failed_chunks=failed, context_note=prepared.context_note
    )
    return review.model_copy(update={"summary": summary})


def server_notes(results: Sequence[ChunkResult]) -> tuple[str | None, tuple[str, ...]]:
    """The structured-output rung the answers came in (the lowest, if the run stepped down)
    and what the run learned about the server, each said once."""
    modes = [r.mode for r in results if r.mode]
    mode = max(modes, key=LADDER.index) if modes else None
    notes = list(dict.fromkeys(n for r in results for n in r.notes))
    if mode is not None and mode != LADDER[0]:
        asked = describe_mode(mode)
        notes.insert(0, f"The model server takes no JSON schema: the model was asked for {asked}.")
    # Findings dropped as malformed are counted with the others (Review.left_out), not here.
    return mode, tuple(notes)
