"""The GitHub Action's entry point (`python -m bot.action`): event, review, annotations, outputs."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from bot.action.annotations import (
    count_findings,
    render_step_summary,
    review_annotations,
    workflow_command,
)
from bot.action.answer import NO_KEY as NO_KEY_TO_ANSWER
from bot.action.answer import NOT_POSTING, answer_and_report
from bot.action.decide import (
    Answer,
    Ignored,
    Options,
    Request,
    decide,
    input_names,
    read_options,
)
from bot.config import FailOn
from bot.errors import ExitCode, UsageError, exit_code_of
from bot.github.run import GitHubOutcome, outcome_lines
from bot.models import Review, Usage
from bot.output.formats import usage_line
from bot.settings import Settings, load_settings

NO_KEY = (
    "grok-review: no xAI API key, so nothing was reviewed. Set the xai-api-key input from a "
    "repository secret. Pull requests from forks get no secrets, so this is expected there: "
    "a maintainer can comment /review on the pull request, or see the Action's docs for the "
    "workflow_run pattern. Never use pull_request_target with a checkout of the PR head."
)
FORK_NOTE = (
    "grok-review: this pull request comes from a fork, so the workflow token cannot write; "
    "the review is shown here and as annotations instead of being posted."
)
SHOWN_HERE = "it is shown here and as annotations instead."
MAX_ERROR_LINES = 5


def read_event(env: Mapping[str, str]) -> tuple[str, dict[str, Any]]:
    name, path = env.get("GITHUB_EVENT_NAME"), env.get("GITHUB_EVENT_PATH")
    if not name or not path:
        raise UsageError("not in GitHub Actions: GITHUB_EVENT_NAME and GITHUB_EVENT_PATH unset")
    try:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read the event payload {path}: {exc}") from None
    if not isinstance(payload, dict):
        raise UsageError(f"the event payload {path} is not a JSON object")
    return name, payload


def run(env: Mapping[str, str], out: IO[str]) -> int:
    """One Action run; returns the step's exit code."""
    event, payload = read_event(env)
    decision = decide(event, payload)
    if isinstance(decision, Ignored):
        print(workflow_command("notice", decision.reason), file=out)
        write_outputs(env, None, posted=False, url=None)
        return 0
    options = read_options(env)
    if isinstance(decision, Answer) and options.post == "annotations":
        print(workflow_command("notice", NOT_POSTING), file=out)
        write_outputs(env, None, posted=False, url=None)
        return 0
    settings = load_settings(names=input_names("settings"), **options.settings)
    if not settings.api_key:
        missing = NO_KEY_TO_ANSWER if isinstance(decision, Answer) else NO_KEY
        print(workflow_command("notice", missing), file=out)
        write_summary(env, render_step_summary(None, notes=[missing]))
        write_outputs(env, None, posted=False, url=None)
        return 0
    repo = env.get("GITHUB_REPOSITORY") or (payload.get("repository") or {}).get("full_name")
    if not repo:
        raise UsageError("GITHUB_REPOSITORY is not set")
    if isinstance(decision, Answer):
        code, notes, usage = answer_and_report(
            env, out, settings, options, repo=repo, answer=decision
        )
        for note in notes:
            print(note, file=out)
        write_summary(env, render_step_summary(None, notes=notes))
        write_outputs(env, None, posted=False, url=None, usage=usage)
        return code
    return review_and_report(env, out, settings, options, repo=repo, request=decision)


def review_and_report(
    env: Mapping[str, str],
    out: IO[str],
    settings: Settings,
    options: Options,
    *,
    repo: str,
    request: Request,
) -> int:
    """Review (posting unless a fork or `post: annotations`), then report to the job."""
    from bot.github.api import GitHubClient
    from bot.github.review import review_pull_request

    post = options.post != "annotations" and not request.fork
    notes = [FORK_NOTE] if request.fork and options.post != "annotations" else []
    at = f" at {request.head_sha[:7]}" if request.head_sha else ""
    print(f"grok-review: reviewing {repo}#{request.number}{at} ({request.trigger})", file=out)
    client = GitHubClient.from_token(settings)
    if request.comment_id is not None and post:
        client.acknowledge(repo, request.comment_id)  # seen: 👀 on the `/review` comment
    outcome = review_pull_request(
        settings,
        client,
        repo=repo,
        number=request.number,
        trigger=request.trigger,
        post=post,
        config_path=options.config_path,
        overrides=options.overrides,
        expected_head=request.head_sha,
        checks=post,
        # Stable across re-runs of one workflow run: a re-run finds the review it posted.
        run_key=f"action-{env['GITHUB_RUN_ID']}" if env.get("GITHUB_RUN_ID") else None,
        # Read for context only when it holds the PR's head commit (bot.github.snapshot).
        workspace=Path(env["GITHUB_WORKSPACE"]) if env.get("GITHUB_WORKSPACE") else None,
    )
    code = conclude(out, outcome, post=post, notes=notes)
    if outcome.review is not None and (not outcome.posted or options.post != "review"):
        annotate(out, outcome.review, fail_on=outcome.fail_on)
    report(env, out, outcome.review, notes=notes, posted=outcome.posted, url=outcome.review_url)
    return code


def conclude(out: IO[str], outcome: GitHubOutcome, *, post: bool, notes: list[str]) -> int:
    """The exit code, and what to tell about the outcome (appended to `notes`)."""
    code = outcome.exit_code
    # The token may read but not write: expected for an Action (no `pull-requests: write`),
    # so the findings go to annotations and the summary instead, exit 0.
    read_only = post and outcome.review is not None and not outcome.posted
    read_only = read_only and code == ExitCode.BAD_INPUT
    for line in outcome_lines(outcome):
        if line.kind != "error":
            notes.append(f"grok-review: {line.text}")
        elif read_only:
            notes.append(f"grok-review: could not post the review ({line.text}); {SHOWN_HERE}")
        else:
            print(workflow_command("error", f"grok-review: {line.text}"), file=out)
    return ExitCode.REVIEWED if read_only else code


def annotate(out: IO[str], review: Review, *, fail_on: FailOn) -> None:
    for line in review_annotations(review, fail_on=fail_on):
        print(line, file=out)


def report(
    env: Mapping[str, str],
    out: IO[str],
    review: Review | None,
    *,
    notes: Sequence[str],
    posted: bool,
    url: str | None,
) -> None:
    """Notes, failures and the usage line in the log; the step summary; the step's outputs."""
    for note in notes:
        print(" ".join(note.split()), file=out)
    for error in review.errors[:MAX_ERROR_LINES] if review else ():
        failed = f"grok-review: part of the review failed: {error}"
        print(workflow_command("error", failed), file=out)
    if review is not None:
        line = usage_line(review.usage, model=review.model, served_model=review.served_model)
        print(f"grok-review: {line}", file=out)
    if review is not None or notes:
        write_summary(env, render_step_summary(review, notes=notes))
    write_outputs(env, review, posted=posted, url=url)


def write_summary(env: Mapping[str, str], markdown: str) -> None:
    path = env.get("GITHUB_STEP_SUMMARY")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(markdown if markdown.endswith("\n") else markdown + "\n")


def write_outputs(
    env: Mapping[str, str],
    review: Review | None,
    *,
    posted: bool,
    url: str | None,
    usage: Usage | None = None,
) -> None:
    """`findings`, `comments-posted`, `cost-usd`, `review-url` for the job's later steps
    (`usage`: what an answer cost, when there is no review)."""
    values = {
        "findings": count_findings(review) if review else 0,
        "comments-posted": len(review.comments) if review and posted else 0,
        "cost-usd": _cost(review.usage if review else usage),
        "review-url": url or "",
    }
    path = env.get("GITHUB_OUTPUT")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.writelines(f"{name}={' '.join(str(v).split())}\n" for name, v in values.items())


def _cost(usage: Usage | None) -> str:
    """The `cost-usd` output: empty when the model has no price and billed no cost (a server
    of one's own), so a later step never takes an unknown cost for $0."""
    if usage is None:
        return "0.0000"
    return f"{usage.cost_usd:.4f}" if usage.cost_known else ""


def main(environ: Mapping[str, str] | None = None, out: IO[str] | None = None) -> int:
    env = os.environ if environ is None else environ
    stream = out or sys.stdout
    return exit_code_of(
        lambda: run(env, stream),
        on_error=lambda exc: print(workflow_command("error", f"grok-review: {exc}"), file=stream),
        on_interrupt=lambda: print("grok-review: interrupted", file=stream),
    )


if __name__ == "__main__":
    sys.exit(main())
