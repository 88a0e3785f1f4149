"""`review-pr OWNER/REPO#N [--post] [--dry-run]`: review a GitHub pull request from a terminal."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from bot.cli.args import NO_KEY, flag_overrides
from bot.cli.report import ProgressDisplay, emit, emit_empty, emit_review, plan_output
from bot.config import DEFAULT_CONFIG_PATH
from bot.errors import MissingKeyError, UsageError
from bot.github.api import GitHubClient
from bot.github.review import review_pull_request
from bot.github.run import GitHubOutcome, outcome_lines
from bot.linear import LinearPattern
from bot.models import ProgressEvent
from bot.settings import Settings

# RE2 (bot.linear), anchored: a URL of repeated `/o/r/pull/1` segments made Python's `re`
# backtrack quadratically before saying it is not a pull request.
_REF = LinearPattern(r"^(?P<repo>[\w.-]+/[\w.-]+)#(?P<number>\d+)$")
_URL = LinearPattern(
    r"^https?://[^/\s]+(?:/\S*)?/(?P<repo>[\w.-]+/[\w.-]+)/pulls?/(?P<number>\d+)(?:[/?#]\S*)?$"
)
_MAX_DIGITS = 12  # more is no pull request number (and int() refuses past 4,300 digits)


def parse_pr_ref(text: str) -> tuple[str, int]:
    """`OWNER/REPO#N` or a pull request URL (github.com or Enterprise) -> (repo, number)."""
    text = text.strip()
    match = _REF.search(text) or _URL.search(text)
    repo = match.text_of("repo") if match else ""
    if match is None or any(p in (".", "..") for p in repo.split("/")):
        hint = "; for statistics: review-pr stats OWNER/REPO" if text == "stats" else ""
        raise UsageError(
            f"not a pull request: {text[:200]!r} (use OWNER/REPO#N or "
            f"https://github.com/OWNER/REPO/pull/N{hint})"
        )
    digits = match.text_of("number").lstrip("0")
    if not digits or len(digits) > _MAX_DIGITS:
        raise UsageError(f"not a pull request number: {match.text_of('number')[:20]}")
    return repo, int(digits)


class _LazyProgress:
    """The CLI's progress display, started by the first event (the total is known then)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self._args = args
        self._display: Any = None
        self._update: Callable[[ProgressEvent], None] | None = None

    def __call__(self, event: ProgressEvent) -> None:
        if self._display is None:
            self._display = ProgressDisplay(self._args, total=event.total)
            self._update = self._display.__enter__()
        if self._update is not None:
            self._update(event)

    def close(self) -> None:
        if self._display is not None:
            self._display.__exit__(None, None, None)


def run_cli_pr(args: argparse.Namespace, settings: Settings) -> int:
    """`review-pr OWNER/REPO#N [--post] [--dry-run]`: review a PR, print it, maybe post it."""
    repo, number = parse_pr_ref(args.target)
    if args.post and args.dry_run:
        raise UsageError("--dry-run plans only; it cannot go with --post")
    if args.post and not settings.github_token:
        raise UsageError("--post needs GITHUB_TOKEN: a token that may write pull request reviews")
    if not args.dry_run and settings.key_required and not settings.api_key:
        raise MissingKeyError(NO_KEY)
    client = GitHubClient.from_token(settings)
    progress = _LazyProgress(args)
    try:
        outcome = review_pull_request(
            settings,
            client,
            repo=repo,
            number=number,
            trigger="cli",
            post=args.post,
            config_path=args.config or DEFAULT_CONFIG_PATH,
            overrides=flag_overrides(args),
            on_event=progress,
            dry_run=args.dry_run,
            force=args.force or args.dry_run,  # a dry run pays for nothing: always plan
        )
    finally:
        progress.close()
    _print_outcome(outcome, args, model=settings.model)
    return outcome.exit_code


def _print_outcome(outcome: GitHubOutcome, args: argparse.Namespace, *, model: str) -> None:
    """The plan or the review on stdout (or --output); what happened on stderr."""
    if outcome.plan is not None:
        emit(plan_output(outcome.plan, args.format, feedback=outcome.feedback), args)
    if outcome.review is not None:
        emit_review(outcome.review, args)
    elif _wants_document(outcome, args):
        # Still a document where one is expected (a file, a machine format), e.g. for a CI
        # step that uploads it; the reason goes to stderr below.
        emit_empty(f"Not reviewed: {outcome.skipped_reason}.", args, model=model, tell=False)
    for line in outcome_lines(outcome):
        kind = "error: " if line.kind == "error" else ""
        print(f"review-pr: {kind}{line.text}", file=sys.stderr)


def _wants_document(outcome: GitHubOutcome, args: argparse.Namespace) -> bool:
    skipped = outcome.plan is None and bool(outcome.skipped_reason) and not outcome.error
    return skipped and (bool(args.output) or args.format != "text")
