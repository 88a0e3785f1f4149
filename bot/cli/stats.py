"""`review-pr stats OWNER/REPO [--days N] [--format text|json]`: how the bot's comments fare.

`stats` is a subcommand only as the first argument: a pull request target is `OWNER/REPO#N`
or a URL, never the bare word, so `review-pr stats` cannot mean a pull request, and a
repository named `stats` is still reviewed as `OWNER/stats#N`.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.cli.report import emit
from bot.errors import UsageError
from bot.settings import load_settings

if TYPE_CHECKING:
    from bot.review.feedback import Bucket, FeedbackStats

COMMAND = "stats"
_REPO = re.compile(r"(?:https?://[^/\s]+(?:/[^\s]*)?/)?(?P<repo>[\w.-]+/[\w.-]+?)(?:\.git)?/?")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="review-pr stats",
        description="How the bot's review comments in a repository were received: reactions "
        "of people with write access, findings addressed by a later push, suggestions "
        "committed, kinds muted.",
    )
    p.add_argument("repo", help="OWNER/REPO or the repository's URL")
    p.add_argument("--days", type=int, default=90, help="look back this many days (1-365)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--output", metavar="FILE", help="write the result to FILE")
    return p


def parse_repo(text: str) -> str:
    """`OWNER/REPO` or a repository URL -> "OWNER/REPO"."""
    match = _REPO.fullmatch(text.strip())
    if match is None or any(p in (".", "..") for p in match["repo"].split("/")):
        raise UsageError(f"not a repository: {text!r} (use OWNER/REPO)")
    return match["repo"]


def run_stats(argv: Sequence[str]) -> int:
    from bot.github.api import GitHubClient  # PyGithub loads only when needed
    from bot.github.stats import collect_stats

    args = build_parser().parse_args(list(argv))
    repo = parse_repo(args.repo)
    if not 1 <= args.days <= 365:
        raise UsageError(f"--days {args.days}: use 1 to 365")
    settings = load_settings()
    client = GitHubClient.from_token(settings)
    stats = collect_stats(client, repo, days=args.days)
    if args.format == "json":
        emit(json.dumps(stats.model_dump(mode="json"), indent=2), args)
    else:
        emit(render_stats_text(stats), args)
    return 0


def render_stats_text(stats: FeedbackStats) -> str:
    """The figures for a person: totals, then by category and by severity."""
    s = stats
    addressed = f"{s.addressed} of {s.comments}" + _share(s.addressed, s.comments)
    applied = (
        "not checked"
        if s.suggestions_applied is None
        else f"{s.suggestions_applied} of {s.suggestions}"
        + _share(s.suggestions_applied, s.suggestions)
    )
    lines = [
        f"grok-review comments in {s.repo}, last {s.days} days",
        f"Reviews: {s.reviews} on {s.pull_requests} pull request(s); inline comments: {s.comments}",
        f"Reactions of people with write access: up {s.thumbs_up}, down {s.thumbs_down}, "
        f"confused {s.confused}",
        f"Addressed (line changed by a later push): {addressed}",
        f"Suggestions committed: {applied}",
        f"Muted kinds (not posted again): {len(s.muted)}",
    ]
    for title, buckets in (("category", s.by_category), ("severity", s.by_severity)):
        if buckets:
            lines += ["", *_table(title, buckets)]
    if s.muted:
        lines += ["", "Muted fingerprints:", *(f"  {fp}" for fp in s.muted)]
    if s.reactions_unread:
        lines.append(f"Reactions not read on {s.reactions_unread} comment(s) (a limit was hit).")
    lines += [f"Note: {n}" for n in s.notes]
    lines.append(f"GitHub requests: {s.github_requests}")
    return "\n".join(lines) + "\n"


def _table(title: str, buckets: dict[str, Bucket]) -> list[str]:
    width = max(len(title), *(len(k) for k in buckets))
    head = f"{title:<{width}}  comments  up  down  confused  addressed"
    rows = [
        f"{name:<{width}}  {b.comments:>8}  {b.thumbs_up:>2}  {b.thumbs_down:>4}  "
        f"{b.confused:>8}  {b.addressed:>9}"
        for name, b in buckets.items()
    ]
    return [head, *rows]


def _share(part: int, whole: int) -> str:
    return f" ({100 * part / whole:.0f}%)" if whole else ""
