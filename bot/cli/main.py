"""`review-pr`: review local changes, a diff file or a GitHub pull request from a terminal."""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.cli.args import (
    NO_KEY,
    build_parser,
    check_flags,
    flag_names,
    flag_overrides,
    flag_settings,
)
from bot.cli.local import diff_pull_request, find_checkout, local_pull_request, read_diff_file
from bot.cli.report import (
    ProgressDisplay,
    check_output,
    emit,
    emit_empty,
    emit_review,
    plan_output,
)
from bot.cli.snapshot import local_snapshot
from bot.config import DEFAULT_CONFIG_PATH, RepoConfig, parse_config, with_overrides
from bot.context.snapshot import Snapshot, close_snapshot
from bot.errors import (
    ConfigError,
    ExitCode,
    MissingKeyError,
    UsageError,
    exit_code_of,
    review_exit_code,
)
from bot.models import PullRequest, Review
from bot.settings import Settings, load_settings

EMPTY_DIFF = "Nothing to review: the diff is empty."
DISABLED = "Not reviewed: the config sets enabled: false (--force reviews anyway)."


def main(argv: Sequence[str] | None = None) -> int:
    # A large diff becomes hundreds of thousands of small immutable objects, none cyclic;
    # the default GC thresholds rescan them over and over (half the parse time).
    gc.set_threshold(100_000, 50, 100)
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["stats"]:  # a subcommand only in first place (see bot.cli.stats)
        from bot.cli.stats import run_stats

        return exit_code_of(
            lambda: run_stats(argv[1:]),
            on_error=lambda exc: print(f"review-pr stats: error: {exc}", file=sys.stderr),
            on_interrupt=lambda: print("review-pr: interrupted", file=sys.stderr),
        )
    args = build_parser().parse_args(argv)
    return exit_code_of(
        lambda: run(args),
        on_error=lambda exc: print(f"review-pr: error: {exc}", file=sys.stderr),
        on_interrupt=lambda: print("review-pr: interrupted", file=sys.stderr),
    )


def run(args: argparse.Namespace) -> int:
    check_flags(args)
    if args.output:
        check_output(args.output)  # before anything is paid for
    settings = load_settings(names=flag_names(args), **flag_settings(args))
    # Flags are checked here, before any git, GitHub or model call, and named as typed.
    with_overrides(RepoConfig(), flag_overrides(args), names=flag_names(args))
    if args.target:
        from bot.cli.pr import run_cli_pr  # PyGithub loads only when needed

        return run_cli_pr(args, settings)
    pr, top = _local_source(args)
    config = with_overrides(load_local_config(args.config, top), flag_overrides(args))
    if not config.enabled and not (args.force or args.dry_run):
        # The repository switched its reviews off; a person may still ask (like /review).
        emit_empty(DISABLED, args, model=settings.model)
        return 0
    agents_md = _read_optional(top / "AGENTS.md") if top else None
    wanted = bool(pr.files) and config.reads_repository
    snapshot, note = local_snapshot(args, pr, top) if wanted else (None, None)
    try:
        return review_and_report(
            pr,
            config,
            settings,
            args=args,
            agents_md=agents_md,
            snapshot=snapshot,
            context_note=note,
        )
    finally:
        close_snapshot(snapshot)


def review_and_report(
    pr: PullRequest,
    config: RepoConfig,
    settings: Settings,
    *,
    args: argparse.Namespace,
    agents_md: str | None,
    snapshot: Snapshot | None = None,
    context_note: str | None = None,
) -> int:
    """Plan, then either print the plan (dry run) or run the review and print it."""
    from bot.review.ask import ask_model
    from bot.review.pipeline import assemble_review, prepare_review

    prepared = prepare_review(
        pr, config, settings, agents_md=agents_md, snapshot=snapshot, context_note=context_note
    )
    if args.dry_run:
        emit(plan_output(prepared.plan, args.format), args)
        if not pr.files:
            print(EMPTY_DIFF, file=sys.stderr)
        return 0
    if not pr.files:
        emit_empty(EMPTY_DIFF, args, model=prepared.model)
        return 0
    if prepared.plan.chunks and settings.key_required and not settings.api_key:
        raise MissingKeyError(NO_KEY)
    with ProgressDisplay(args, total=len(prepared.chunk_texts)) as on_event:
        results = ask_model(prepared, settings, on_event=on_event)
    review = assemble_review(prepared, results)
    emit_review(review, args)
    return exit_code(review, config)


def exit_code(review: Review, config: RepoConfig) -> ExitCode:
    from bot.review.findings import review_blocks

    blocks = review_blocks(review, config.fail_on)
    return review_exit_code(blocking=blocks, incomplete=bool(review.errors))


def _local_source(args: argparse.Namespace) -> tuple[PullRequest, Path | None]:
    if args.diff:
        text = read_diff_file(args.diff)
        try:
            top: Path | None = find_checkout(Path.cwd())
        except UsageError:
            top = None
        return diff_pull_request(text), top
    top = find_checkout(Path.cwd())
    pr = local_pull_request(top, base=args.base, staged=args.staged, working_tree=args.working_tree)
    return pr, top


def load_local_config(path: str | None, top: Path | None) -> RepoConfig:
    """--config PATH, else the checkout's own config file if present, else defaults."""
    if path:
        file = Path(path)
        if not file.is_file():
            raise ConfigError(f"--config {path}: no such file")
        return parse_config(file.read_text(encoding="utf-8", errors="replace"), source=path)
    if top is not None and (top / DEFAULT_CONFIG_PATH).is_file():
        text = (top / DEFAULT_CONFIG_PATH).read_text(encoding="utf-8", errors="replace")
        return parse_config(text, source=DEFAULT_CONFIG_PATH)
    return RepoConfig()


def _read_optional(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


if __name__ == "__main__":
    sys.exit(main())
