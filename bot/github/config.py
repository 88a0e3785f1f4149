"""A PR's repository config, from its base commit; an invalid one is reported once on the PR."""

from __future__ import annotations

from bot.config import RepoConfig, parse_config
from bot.errors import ConfigError, ExitCode, GitHubError
from bot.github.api import GitHubClient
from bot.github.markers import CONFIG_ERROR_MARKER, base_marker
from bot.github.render import render_config_error
from bot.github.run import GitHubOutcome
from bot.models import PullRequest


def fetch_repo_config(client: GitHubClient, pr: PullRequest, config_path: str) -> RepoConfig:
    """The config file at the PR's base commit; defaults when there is none."""
    # The base commit, never the head: a PR must not switch off or soften its own review.
    text = client.fetch_file(pr.repo or "", config_path, ref=pr.base_sha or "")
    return RepoConfig() if text is None else parse_config(text, source=config_path)


def report_invalid_config(
    client: GitHubClient, pr: PullRequest, exc: ConfigError, *, post: bool, config_path: str
) -> GitHubOutcome:
    """An invalid base config never skips silently: one comment per base commit, exit 2."""
    notes: list[str] = []
    if post:
        base = pr.base_sha or ""
        marker = base_marker(base)
        earlier = client.list_bot_issue_comments(pr.repo or "", pr.number or 0)
        if any(CONFIG_ERROR_MARKER in c.body and marker in c.body for c in earlier):
            notes.append("the configuration error is already reported on the pull request")
        else:
            body = render_config_error(exc.message, base_sha=base, config_path=config_path)
            try:
                client.create_issue_comment(pr.repo or "", pr.number or 0, body)
                notes.append("posted a comment about the configuration error")
            except GitHubError as failed:
                notes.append(f"could not comment about the configuration error: {failed}")
    return GitHubOutcome(
        skipped_reason="invalid config",
        exit_code=ExitCode.BAD_INPUT,
        error=exc.message,
        notes=tuple(notes),
        head_sha=pr.head_sha,
    )
