"""`review-pr`'s command line: the flags, their combinations, and the config keys they set."""

from __future__ import annotations

import argparse
from typing import Any

from bot import __version__
from bot.config import DEFAULT_CONFIG_PATH
from bot.errors import UsageError

FORMATS = ("text", "markdown", "json", "sarif")
NO_KEY = (
    "no model API key: set XAI_API_KEY (or GROK_REVIEW_API_KEY) to your xAI key; "
    "--dry-run plans a review without one, and a server of your own (--base-url) needs none"
)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="review-pr",
        description="Review a pull request, a diff or local git changes with an xAI Grok model.",
        epilog="review-pr stats OWNER/REPO: how the bot's comments in a repository are "
        "received (review-pr stats -h).",
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
        "--working-tree",
        action="store_true",
        help="review every uncommitted change against HEAD, untracked files too (not ignored ones)",
    )
    out = p.add_argument_group("output")
    out.add_argument("--dry-run", action="store_true", help="plan only; no model call, no key")
    out.add_argument("--format", choices=FORMATS, default="text")
    out.add_argument("--output", metavar="FILE", help="write the result to FILE")
    out.add_argument("--quiet", action="store_true", help="no progress display")
    out.add_argument("--no-color", action="store_true", help="plain text even on a terminal")
    out.add_argument("--post", action="store_true", help="post the review to the pull request")
    out.add_argument(
        "--force",
        action="store_true",
        help="review even when the config says enabled: false, or (with --post) when the head "
        "already has the bot's review; then only findings not on the pull request are posted",
    )
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


def check_flags(args: argparse.Namespace) -> None:
    sources = [bool(args.target), bool(args.diff), args.staged, args.working_tree]
    if sum(sources) > 1:
        raise UsageError("choose one of: a PR target, --diff, --staged, --working-tree")
    if args.base and (args.diff or args.target or args.staged or args.working_tree):
        raise UsageError("--base goes with a local branch review only")
    if args.post and not args.target:
        raise UsageError("--post needs a pull request target (OWNER/REPO#N or URL)")


CONFIG_FLAGS = ("max_comments", "min_severity", "fail_on")
SETTINGS_FLAGS = ("model", "base_url", "context_tokens", "max_output_tokens", "concurrency")


def flag_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The config keys given as flags; they win over the config file (bot.config.with_overrides)."""
    keys = CONFIG_FLAGS
    return {key: getattr(args, key) for key in keys if getattr(args, key, None) is not None}


def flag_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The Settings fields given as flags (None: not given)."""
    return {key: getattr(args, key, None) for key in SETTINGS_FLAGS}


def flag_names(args: argparse.Namespace) -> dict[str, str]:
    """Each key given as a flag, as typed ("--max-comments 51"), for error messages."""
    names = {}
    for key in (*CONFIG_FLAGS, *SETTINGS_FLAGS):
        value = getattr(args, key, None)
        if value is not None:
            names[key] = f"--{key.replace('_', '-')} {value}"
    return names
