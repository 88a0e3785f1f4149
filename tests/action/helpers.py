"""Running the Action as the runner runs it, `python -m bot.action` against the fakes, on
the recorded event payloads.

Payloads are the real `@octokit/webhooks-examples` ones in tests/data/webhooks/. The package
has no fork PR and no issue_comment on a PR (see the README there): those cases are built here
by modifying a copy of a real payload, and each place says so.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests import ROOT
from tests.fakes.github import FakeGitHub
from tests.fakes.openai_server import FakeModel, finding

WEBHOOKS = ROOT / "tests" / "data" / "webhooks"
REPO = "Codertocat/Hello-World"  # every example payload's repository
MERGE_SHA = "9" * 40  # GITHUB_SHA on pull_request events: the merge commit, not the head
PATCH = "@@ -1,2 +1,3 @@\n def last(xs):\n+    for i in range(len(xs) - 1):\n     return xs\n"
FILES = [{"filename": "app.py", "status": "modified", "patch": PATCH}]
BUG = finding("app.py", 2, code="for i in range(len(xs) - 1):")


def payload(name: str) -> dict[str, Any]:
    return json.loads((WEBHOOKS / f"{name}.json").read_text())


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    summary: str
    outputs: dict[str, str]

    def commands(self, level: str) -> list[str]:
        return [ln for ln in self.stdout.splitlines() if ln.startswith(f"::{level}")]


def run_action(
    tmp_path: Path,
    gh: FakeGitHub,
    model: FakeModel,
    event: str,
    body: dict[str, Any],
    extra_env: dict[str, str] | None = None,
    **inputs: str,
) -> Run:
    """Run `python -m bot.action` with the variables the runner and action.yml set."""
    event_file = tmp_path / "event.json"
    event_file.write_text(json.dumps(body))
    summary, outputs = tmp_path / "summary.md", tmp_path / "output.txt"
    summary.write_text("")
    outputs.write_text("")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": event,
        "GITHUB_EVENT_PATH": str(event_file),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_API_URL": gh.url,
        "GITHUB_SHA": MERGE_SHA,
        "GITHUB_RUN_ID": "4242",
        "GROK_REVIEW_BASE_URL": model.url,
        "GROK_REVIEW_MODEL_RETRIES": "0",
        "GROK_REVIEW_RETRY_BASE_S": "0",
        "GROK_REVIEW_GITHUB_WRITE_SPACING_S": "0",
        "GROK_REVIEW_GITHUB_RETRY_BASE_S": "0",
        "GROK_REVIEW_GITHUB_SECONDARY_WAIT_S": "0",
        "GROK_REVIEW_TIMEOUT_S": "20",
        "INPUT_XAI_API_KEY": "xai-test-key",
        "INPUT_GITHUB_TOKEN": "tok-write",
    }
    env.update({f"INPUT_{k.upper()}": v for k, v in inputs.items()})
    env.update(extra_env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "bot.action"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    pairs = [ln.partition("=") for ln in outputs.read_text().splitlines()]
    return Run(
        proc.returncode, proc.stdout, proc.stderr, summary.read_text(), {k: v for k, _, v in pairs}
    )


def posted_reviews(gh: FakeGitHub) -> list[dict[str, Any]]:
    return [r.json for r in gh.calls("POST", r"/pulls/2/reviews$") if r.status == 200]


def fork_payload() -> dict[str, Any]:
    # Built from the real `opened` payload: the package has no fork example, so the head
    # repository is renamed to a fork's (`head.repo.full_name != base.repo.full_name`).
    body = copy.deepcopy(payload("pull_request.opened"))
    body["pull_request"]["head"]["repo"]["full_name"] = "forker/Hello-World"
    return body


def review_comment(association: str, text: str = "/review") -> dict[str, Any]:
    # Built from the real `issue_comment.created` payload, which is on a plain issue: the
    # package has no comment on a PR, so `issue.pull_request` is added and the issue is #2.
    body = copy.deepcopy(payload("issue_comment.created"))
    body["issue"]["number"] = 2
    body["issue"]["pull_request"] = {"url": f"https://api.github.com/repos/{REPO}/pulls/2"}
    body["comment"]["body"] = text
    body["comment"]["author_association"] = association
    return body
