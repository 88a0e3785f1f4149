"""The runner's workspace as repository context: used at the PR head, passed over otherwise."""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path

from tests.action.helpers import (
    FILES,
    REPO,
    payload,
    posted_reviews,
    run_action,
)
from tests.fakes.github import FakeGitHub
from tests.fakes.openai_server import FakeModel
from tests.helpers.git import git, init_repo


def test_workspace_at_the_pr_head_is_the_snapshot_and_costs_no_request(
    tmp_path: Path, gh: FakeGitHub, model: FakeModel
) -> None:
    app = "def last(xs):\n    for i in range(len(xs) - 1):\n"
    ws = init_repo(tmp_path / "workspace", {"app.py": app}, message="head")
    head = git(ws, "rev-parse", "HEAD").strip()
    body = copy.deepcopy(payload("pull_request.opened"))
    body["pull_request"]["head"]["sha"] = head  # the PR's head is the workspace's commit
    gh.add_pr(REPO, 2, head_sha=head, base_sha=body["pull_request"]["base"]["sha"], files=FILES)
    run = run_action(tmp_path, gh, model, "pull_request", body, {"GITHUB_WORKSPACE": str(ws)})
    assert run.code == 0, run.stdout + run.stderr
    assert not gh.calls("GET", "/git/trees/") and not gh.calls("GET", "/tarball/")
    [review] = posted_reviews(gh)
    assert "Context:" not in review["body"]


def test_workspace_on_the_merge_commit_is_not_used_and_a_failed_fetch_is_not_fatal(
    tmp_path: Path, gh: FakeGitHub, model: FakeModel
) -> None:
    # The workspace is a checkout of some other commit (the merge commit actions/checkout
    # makes on pull_request); the fake has no tree for the head, so the fetch fails (404).
    ws = tmp_path / "workspace"
    ws.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=ws, check=True)
    body = payload("pull_request.opened")
    run = run_action(tmp_path, gh, model, "pull_request", body, {"GITHUB_WORKSPACE": str(ws)})
    assert run.code == 0, run.stdout + run.stderr
    assert gh.calls("GET", "/git/trees/")
    [review] = posted_reviews(gh)
    assert "Context: none: " in review["body"]
    assert "Context: none: " in run.summary
