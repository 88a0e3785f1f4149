"""What `review-pr` prints: the plan, the review in each format, notes and progress."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot import __version__
from bot.errors import UsageError
from bot.models import Plan, ProgressEvent, Review

if TYPE_CHECKING:
    from bot.github.feedback import ReviewFeedback


def plan_output(plan: Plan, fmt: str, *, feedback: ReviewFeedback | None = None) -> str:
    """The `--dry-run` report: JSON or plain text; `feedback` None: a local review's."""
    from bot.output.feedback import LOCAL_NOTE, feedback_json, render_feedback_text
    from bot.output.plan import plan_to_json, render_plan_text

    muted = feedback.muted if feedback else ()
    read, note = (feedback.read, feedback.note) if feedback else (False, LOCAL_NOTE)
    days = feedback.days if feedback else None
    if fmt == "json":
        entry = feedback_json(muted, read=read, days=days, note=note)
        return json.dumps({**plan_to_json(plan), "feedback": entry}, indent=2)
    if fmt == "text":
        more = render_feedback_text(muted, read=read, days=days, note=note)
        return render_plan_text(plan) + "\n" + more
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

    emit(render_review(review, args.format, color=color(args)), args)
    if not _on_terminal(args):
        # The review went to a file or a pipe: what failed must still reach the person.
        for error in review.errors:
            print(f"review-pr: error: {' '.join(error.split())}", file=sys.stderr)
    if args.format != "text" or args.output:
        # Text output ends with the usage line already; other formats get it on stderr.
        print(
            usage_line(review.usage, model=review.model, served_model=review.served_model),
            file=sys.stderr,
        )


def emit_empty(message: str, args: argparse.Namespace, *, model: str, tell: bool = True) -> None:
    """Nothing reviewed: still a valid document in the chosen format (an empty SARIF run, a
    JSON review with empty lists), so a later CI step that reads it does not fail; with
    `tell`, the message on stderr too unless the text already went to the terminal."""
    if args.format == "text":
        emit(message, args)
    else:
        emit(render_review(Review(summary=message, model=model), args.format, color=False), args)
    if tell and not (args.format == "text" and _on_terminal(args)):
        print(message, file=sys.stderr)


def check_output(name: str) -> None:
    """--output must be writable before any request is paid for."""
    path = Path(name)
    folder = path.parent
    if path.is_dir():
        raise UsageError(f"--output {name}: is a directory")
    if not folder.is_dir():
        raise UsageError(f"--output {name}: no such directory {str(folder)!r}")
    target = path if path.exists() else folder
    if not os.access(target, os.W_OK):
        raise UsageError(f"--output {name}: not writable")


def _on_terminal(args: argparse.Namespace) -> bool:
    return not args.output and sys.stdout.isatty()


def emit(text: str, args: argparse.Namespace) -> None:
    text = text if text.endswith("\n") else text + "\n"
    if args.output:
        try:
            Path(args.output).write_text(text)
        except OSError as exc:
            raise UsageError(f"--output {args.output}: {exc.strerror}") from None
    else:
        sys.stdout.write(text)


def color(args: argparse.Namespace) -> bool:
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
