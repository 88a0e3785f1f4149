"""`review-pr`: review local changes, a diff file or a GitHub pull request from a terminal."""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot import __version__
from bot.cli.local import diff_pull_request, find_checkout, local_pull_request, read_diff_file
from bot.config import DEFAULT_CONFIG_PATH, RepoConfig, parse_config, with_overrides
from bot.errors import ConfigError, MissingKeyError, UsageError, exit_code_of
from bot.models import Plan, PullRequest, Review
from bot.settings import Settings, load_settings

if TYPE_CHECKING:
    from bot.model.client import ProgressEvent

FORMATS = ("text", "markdown", "json", "sarif")
NO_KEY = (
    "no model API key: set XAI_API_KEY (or GROK_REVIEW_API_KEY) to your xAI key; "
    "--dry-run plans a review without one"
)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="review-pr",
        description="Review a pull request, a diff or local git changes with an xAI Grok model.",
    )
    p.add_argument(
        "target",
        nargs="?",
        help="OWNER/REPO#N or a pull request URL (default: the current git branch)",
    )
    src = p.add_argument_group("what to review")
    src.add_argument("--diff", metavar="FILE", help="a unified diff file, or '-' for stdin")
    src.add_argument("--base", metavar="REF", help="compare with REF (default: main/master)")
    src.add_argument("--staged", action="store_true", help="review staged changes")
    src.add_argument(
        "--working-tree", action="store_true", help="review uncommitted changes against HEAD"
    )
    out = p.add_argument_group("output")
    out.add_argument("--dry-run", action="store_true", help="plan only; no model call, no key")
    out.add_argument("--format", choices=FORMATS, default="text")
    out.add_argument("--output", metavar="FILE", help="write the result to FILE")
    out.add_argument("--quiet", action="store_true", help="no progress display")
    out.add_argument("--no-color", action="store_true", help="plain text even on a terminal")
    out.add_argument("--post", action="store_true", help="post the review to the pull request")
    cfg = p.add_argument_group("settings (flags win over the environment and config file)")
    cfg.add_argument(
        "--config", metavar="PATH", help=f"config file (default {DEFAULT_CONFIG_PATH})"
    )
    cfg.add_argument("--model")
    cfg.add_argument("--base-url", help="any OpenAI-compatible server")
    cfg.add_argument("--context-tokens", type=int)
    cfg.add_argument("--max-output-tokens", type=int)
    cfg.add_argument("--concurrency", type=int)
    cfg.add_argument("--max-comments", type=int)
    cfg.add_argument("--min-severity", choices=("critical", "major", "minor", "nit"))
    cfg.add_argument("--fail-on", choices=("critical", "major", "minor", "nit", "none"))
    p.add_argument("--version", action="version", version=f"grok-review {__version__}")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    # A large diff becomes hundreds of thousands of small immutable objects, none cyclic;
    # the default GC thresholds rescan them over and over (half the parse time).
    gc.set_threshold(100_000, 50, 100)
    args = build_parser().parse_args(argv)
    return exit_code_of(
        lambda: run(args),
        on_error=lambda exc: print(f"review-pr: error: {exc}", file=sys.stderr),
        on_interrupt=lambda: print("review-pr: interrupted", file=sys.stderr),
    )


def run(args: argparse.Namespace) -> int:
    _check_flags(args)
    settings = load_settings(
        model=args.model,
        base_url=args.base_url,
        context_tokens=args.context_tokens,
        max_output_tokens=args.max_output_tokens,
        concurrency=args.concurrency,
    )
    if args.target:
        from bot.cli.pr import run_cli_pr  # PyGithub loads only when needed

        return run_cli_pr(args, settings)
    pr, top = _local_source(args)
    config = with_overrides(load_local_config(args.config, top), flag_overrides(args))
    agents_md = _read_optional(top / "AGENTS.md") if top else None
    return review_and_report(pr, config, settings, args=args, agents_md=agents_md)


def review_and_report(
    pr: PullRequest,
    config: RepoConfig,
    settings: Settings,
    *,
    args: argparse.Namespace,
    agents_md: str | None,
) -> int:
    """Plan, then either print the plan (dry run) or run the review and print it."""
    from bot.review.pipeline import ask_model, assemble_review, prepare_review

    if not pr.files:
        _note("Nothing to review: the diff is empty.", args)
        return 0
    prepared = prepare_review(pr, config, settings, agents_md=agents_md)
    if args.dry_run:
        emit(plan_output(prepared.plan, args.format), args)
        return 0
    if not settings.api_key:
        raise MissingKeyError(NO_KEY)
    with ProgressDisplay(args, total=len(prepared.chunk_texts)) as on_event:
        results = ask_model(prepared, settings, on_event=on_event)
    review = assemble_review(prepared, results)
    emit_review(review, args)
    return exit_code(review, config)


def exit_code(review: Review, config: RepoConfig) -> int:
    """1 when a finding reaches fail_on (certain even if part failed), 3 when incomplete."""
    from bot.review.findings import blocking

    if blocking([*review.comments, *review.overflow], config.fail_on):
        return 1
    return 3 if review.errors else 0


def _check_flags(args: argparse.Namespace) -> None:
    sources = [bool(args.target), bool(args.diff), args.staged, args.working_tree]
    if sum(sources) > 1:
        raise UsageError("choose one of: a PR target, --diff, --staged, --working-tree")
    if args.base and (args.diff or args.target or args.staged or args.working_tree):
        raise UsageError("--base goes with a local branch review only")
    if args.post and not args.target:
        raise UsageError("--post needs a pull request target (OWNER/REPO#N or URL)")


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


def flag_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The config keys given as flags; they win over the config file (bot.config.with_overrides)."""
    keys = ("max_comments", "min_severity", "fail_on")
    return {key: getattr(args, key) for key in keys if getattr(args, key, None) is not None}


def _read_optional(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def plan_output(plan: Plan, fmt: str) -> str:
    """The `--dry-run` report: JSON or plain text."""
    from bot.plan.build import plan_to_json, render_plan_text

    if fmt == "json":
        return json.dumps(plan_to_json(plan), indent=2)
    if fmt == "text":
        return render_plan_text(plan)
    raise UsageError("--dry-run prints text or json")


def render_review(review: Review, fmt: str, *, color: bool) -> str:
    from bot.output import formats, sarif

    if fmt == "json":
        return json.dumps(formats.review_to_json(review), indent=2)
    if fmt == "sarif":
        return json.dumps(sarif.render_sarif(review, tool_version=__version__), indent=2)
    if fmt == "markdown":
        return formats.render_markdown(review)
    return formats.render_text(review, color=color)


def emit_review(review: Review, args: argparse.Namespace) -> None:
    from bot.output.formats import usage_line

    emit(render_review(review, args.format, color=_color(args)), args)
    if args.format != "text" or args.output:
        # Text output ends with the usage line already; other formats get it on stderr.
        print(
            usage_line(review.usage, model=review.model, served_model=review.served_model),
            file=sys.stderr,
        )


def emit(text: str, args: argparse.Namespace) -> None:
    text = text if text.endswith("\n") else text + "\n"
    if args.output:
        try:
            Path(args.output).write_text(text)
        except OSError as exc:
            raise UsageError(f"--output {args.output}: {exc.strerror}") from None
    else:
        sys.stdout.write(text)


def _note(message: str, args: argparse.Namespace) -> None:
    if args.format == "json" and not args.output:
        print(message, file=sys.stderr)
    else:
        print(message)


def _color(args: argparse.Namespace) -> bool:
    if args.no_color or args.output or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


class ProgressDisplay:
    """A live done/total, tokens and elapsed line on stderr, only on a terminal."""

    def __init__(self, args: argparse.Namespace, *, total: int) -> None:
        self.enabled = not args.quiet and sys.stderr.isatty() and total > 0
        self.total = total
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> Callable[[ProgressEvent], None] | None:
        if not self.enabled:
            return None
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            TextColumn("reviewing"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total} requests · {task.fields[tokens]} tokens"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._task = self._progress.add_task("review", total=self.total, tokens="0")
        self._progress.start()
        return self._update

    def _update(self, event: ProgressEvent) -> None:
        tokens = f"{event.prompt_tokens + event.completion_tokens:,}"
        # The total grows when a chunk refused as too long is sent again in halves.
        self._progress.update(self._task, completed=event.done, total=event.total, tokens=tokens)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()


if __name__ == "__main__":
    sys.exit(main())
