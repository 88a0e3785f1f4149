"""Forks, read-only tokens and a missing xAI key: annotations and a summary instead of a review."""

from __future__ import annotations

import copy
from pathlib import Path

from bot.action import decide as action_decide
from tests.action.helpers import (
    FILES,
    REPO,
    fork_payload,
    payload,
    run_action,
)
from tests.fakes.github import FakeGitHub
from tests.fakes.openai_server import FakeModel


def test_fork_with_read_only_token_annotates_and_summarises(
    tmp_path: Path, gh: FakeGitHub, model: FakeModel
) -> None:
    gh.add_pr(
        REPO,
        2,
        head_sha=fork_payload()["pull_request"]["head"]["sha"],
        files=FILES,
        head_repo_full_name="forker/Hello-World",
    )
    run = run_action(tmp_path, gh, model, "pull_request", fork_payload(), github_token="tok-read")
    assert run.code == 0, run.stdout + run.stderr
    assert [r for r in gh.requests if r.method != "GET"] == []  # nothing even attempted
    [error] = run.commands("error")  # a major finding: an error annotation
    assert error.startswith("::error file=app.py,line=2,endLine=2,title=major bug%3A Off-by-one::")
    assert "comes from a fork" in run.stdout
    assert "Off-by-one" in run.summary and "comes from a fork" in run.summary
    assert run.outputs["findings"] == "1" and run.outputs["comments-posted"] == "0"


def test_read_only_token_on_a_same_repo_pr_falls_back_to_annotations(
    tmp_path: Path, gh: FakeGitHub, model: FakeModel
) -> None:
    run = run_action(
        tmp_path, gh, model, "pull_request", payload("pull_request.opened"), github_token="tok-read"
    )
    assert run.code == 0, run.stdout + run.stderr
    assert gh.reviews(REPO, 2) == []
    assert len(run.commands("error")) == 1
    assert "could not post the review" in run.summary


def test_no_key_is_a_notice_and_exit_0(tmp_path: Path, gh: FakeGitHub, model: FakeModel) -> None:
    run = run_action(tmp_path, gh, model, "pull_request", fork_payload(), xai_api_key="")
    assert run.code == 0
    [notice] = run.commands("notice")
    assert "no xAI API key" in notice and "pull_request_target" in notice
    assert "no xAI API key" in run.summary
    assert gh.requests == [] and model.requests == []
    assert run.outputs["findings"] == "0"


def test_deleted_fork_counts_as_a_fork() -> None:
    pr = copy.deepcopy(payload("pull_request.opened")["pull_request"])
    assert not action_decide.is_fork(pr)
    pr["head"]["repo"] = None
    assert action_decide.is_fork(pr)
