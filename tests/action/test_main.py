"""The GitHub Action run as the runner runs it: `python -m bot.action` against the fakes.

Payloads are the real `@octokit/webhooks-examples` ones in tests/data/webhooks/. The package
has no fork PR and no issue_comment on a PR (see the README there): those cases are built here
by modifying a copy of a real payload, and each place says so.
"""

from __future__ import annotations

import copy
import io
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.action import decide as action_decide
from bot.action import main as action
from bot.config import RepoConfig
from bot.github.markers import head_marker
from bot.github.triggers import REVIEW_ACTIONS
from bot.settings import Settings
from tests import ROOT
from tests.fakes.github import FakeGitHub
from tests.fakes.openai_server import FakeModel, error, finding
from tests.helpers.git import git, init_repo

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


@pytest.fixture
def model(fake_model: FakeModel) -> FakeModel:
    fake_model.script(lambda request: [BUG])
    return fake_model


@pytest.fixture
def gh(fake_github: FakeGitHub) -> FakeGitHub:
    """The example payloads' PR (#2) at the payload's head SHA, with one changed file."""
    pr = payload("pull_request.opened")["pull_request"]
    fake_github.add_pr(REPO, 2, head_sha=pr["head"]["sha"], base_sha=pr["base"]["sha"], files=FILES)
    return fake_github


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


# --- pull_request ---------------------------------------------------------------------------


def test_opened_posts_one_review_at_the_payload_head_and_writes_outputs(
    tmp_path: Path, gh: FakeGitHub, model: FakeModel
) -> None:
    body = payload("pull_request.opened")
    head = body["pull_request"]["head"]["sha"]
    run = run_action(tmp_path, gh, model, "pull_request", body)
    assert run.code == 0, run.stdout + run.stderr
    [review] = posted_reviews(gh)
    assert review["commit_id"] == head != MERGE_SHA  # the head from the payload, not GITHUB_SHA
    assert review["event"] == "COMMENT"
    assert head_marker(head) in review["body"]
    assert [(c["path"], c["line"]) for c in review["comments"]] == [("app.py", 2)]
    url = gh.reviews(REPO, 2)[0]["html_url"]
    assert run.outputs == {
        "findings": "1",
        "comments-posted": "1",
        "cost-usd": run.outputs["cost-usd"],
        "review-url": url,
    }
    assert float(run.outputs["cost-usd"]) > 0
    assert "Off-by-one" in run.summary and "1 request" in run.summary
    assert f"posted {url}" in run.stdout
    assert run.commands("error") == run.commands("warning") == []  # posted: no annotations
    assert gh.check_runs(REPO)[0]["head_sha"] == head


def test_fail_on_counts_a_finding_not_on_a_changed_line(
    tmp_path: Path, gh: FakeGitHub, model: FakeModel
) -> None:
    stray = finding("app.py", 40, severity="major", title="Leak", code="f = open(p)")
    model.script(lambda request: [stray])
    body = payload("pull_request.opened")
    run = run_action(tmp_path, gh, model, "pull_request", body, fail_on="major", post="both")
    assert run.code == 1, run.stdout + run.stderr
    [annotation] = run.commands("error")
    assert "file=app.py" in annotation and "line=" not in annotation and "Leak" in annotation
    assert gh.check_runs(REPO)[0]["conclusion"] == "failure"


def test_synchronize_reviews_only_the_new_commits(
    tmp_path: Path, gh: FakeGitHub, model: FakeModel
) -> None:
    body = payload("pull_request.synchronize")
    before, after = body["before"], body["after"]
    gh.add_pr(REPO, 2, head_sha=before, files=FILES)  # the PR as the last review saw it
    gh.add_review(REPO, 2, body=f"earlier review\n{head_marker(before)}", commit_id=before)
    # The push adds a comment line above the loop; the compare shows only that.
    whole = (
        "@@ -1,2 +1,4 @@\n def last(xs):\n+    # walk\n+    for i in range(len(xs) - 1):\n"
        "     return xs\n"
    )
    gh.set_pr_head(REPO, 2, after, [{"filename": "app.py", "status": "modified", "patch": whole}])
    new_patch = (
        "@@ -1,3 +1,4 @@\n def last(xs):\n+    # walk\n     for i in range(len(xs) - 1):\n"
        "     return xs\n"
    )
    only_new = [{"filename": "app.py", "status": "modified", "patch": new_patch}]
    gh.add_compare(REPO, before, after, files=only_new)
    run = run_action(tmp_path, gh, model, "pull_request", body)
    assert run.code == 0, run.stdout + run.stderr
    assert gh.calls("GET", rf"/compare/{before}\.\.\.{after}$")
    [request] = model.requests
    assert "# walk" in request["json"]["messages"][-1]["content"]
    [review] = posted_reviews(gh)
    assert review["commit_id"] == after
    assert f"{before[:7]}..{after[:7]}" in review["body"]


@pytest.mark.parametrize("name", ["pull_request.reopened", "pull_request.ready_for_review"])
def test_reopened_and_ready_for_review_are_reviewed(
    tmp_path: Path, gh: FakeGitHub, model: FakeModel, name: str
) -> None:
    run = run_action(tmp_path, gh, model, "pull_request", payload(name))
    assert run.code == 0, run.stdout + run.stderr
    assert len(posted_reviews(gh)) == 1 and len(model.requests) == 1


def test_labeled_action_is_ignored_with_a_notice(
    tmp_path: Path, gh: FakeGitHub, model: FakeModel
) -> None:
    run = run_action(tmp_path, gh, model, "pull_request", payload("pull_request.labeled"))
    assert run.code == 0
    assert run.commands("notice") == [
        "::notice::grok-review: pull_request 'labeled' needs no review"
    ]
    assert gh.requests == [] and model.requests == []
    assert run.outputs["findings"] == "0" and run.outputs["review-url"] == ""


def test_unsupported_event_is_a_notice_and_exit_0(
    tmp_path: Path, gh: FakeGitHub, model: FakeModel
) -> None:
    run = run_action(tmp_path, gh, model, "ping", payload("ping"))
    assert run.code == 0
    [notice] = run.commands("notice")
    assert "event 'ping' is not handled" in notice
    assert gh.requests == [] and model.requests == []


def test_a_newer_head_than_the_payload_is_left_to_its_own_run(
    tmp_path: Path, gh: FakeGitHub, model: FakeModel
) -> None:
    gh.set_pr_head(REPO, 2, "a" * 40, FILES)  # pushed again after this event fired
    run = run_action(tmp_path, gh, model, "pull_request", payload("pull_request.opened"))
    assert run.code == 0
    assert "not reviewed: superseded" in run.stdout
    assert model.requests == [] and posted_reviews(gh) == []


def test_fail_on_reached_exits_1_after_posting_and_both_also_annotates(
    tmp_path: Path, gh: FakeGitHub, model: FakeModel
) -> None:
    body = payload("pull_request.opened")
    run = run_action(tmp_path, gh, model, "pull_request", body, fail_on="major", post="both")
    assert run.code == 1, run.stdout + run.stderr
    assert len(posted_reviews(gh)) == 1
    [check] = gh.check_runs(REPO)
    assert check["conclusion"] == "failure"
    [annotation] = run.commands("error")  # `both`: the posted review and the annotation
    assert annotation.startswith("::error file=app.py,line=2,")


def test_post_annotations_never_writes_to_the_pull_request(
    tmp_path: Path, gh: FakeGitHub, model: FakeModel
) -> None:
    body = payload("pull_request.opened")
    run = run_action(
        tmp_path, gh, model, "pull_request", body, post="annotations", min_severity="nit"
    )
    assert run.code == 0, run.stdout + run.stderr
    assert [r for r in gh.requests if r.method != "GET"] == []
    assert len(run.commands("error")) == 1 and "Off-by-one" in run.summary
    assert run.outputs["comments-posted"] == "0" and run.outputs["review-url"] == ""


def test_model_failure_exits_3_and_says_so(
    tmp_path: Path, gh: FakeGitHub, model: FakeModel
) -> None:
    model.script(lambda request: error(500))
    run = run_action(tmp_path, gh, model, "pull_request", payload("pull_request.opened"))
    assert run.code == 3, run.stdout + run.stderr
    assert any("part of the review failed" in line for line in run.commands("error"))
    assert "Traceback" not in run.stderr


def test_bad_input_is_one_error_line_and_exit_2(
    tmp_path: Path, gh: FakeGitHub, model: FakeModel
) -> None:
    run = run_action(
        tmp_path, gh, model, "pull_request", payload("pull_request.opened"), max_comments="lots"
    )
    assert run.code == 2
    [error] = run.commands("error")
    assert "max-comments" in error
    assert "Traceback" not in run.stderr and model.requests == []


def test_bad_base_url_input_is_named_and_nothing_is_sent(
    tmp_path: Path, gh: FakeGitHub, model: FakeModel
) -> None:
    body = payload("pull_request.opened")
    run = run_action(tmp_path, gh, model, "pull_request", body, base_url="api.x.ai/v1")
    assert run.code == 2
    [error] = run.commands("error")
    assert "input base-url: must be an http:// or https:// URL with a host" in error
    assert model.requests == [] and gh.calls("POST", r".*") == []


# --- forks and keys ---------------------------------------------------------------------------


def fork_payload() -> dict[str, Any]:
    # Built from the real `opened` payload: the package has no fork example, so the head
    # repository is renamed to a fork's (`head.repo.full_name != base.repo.full_name`).
    body = copy.deepcopy(payload("pull_request.opened"))
    body["pull_request"]["head"]["repo"]["full_name"] = "forker/Hello-World"
    return body


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


# --- /review comments -------------------------------------------------------------------------


def review_comment(association: str, text: str = "/review") -> dict[str, Any]:
    # Built from the real `issue_comment.created` payload, which is on a plain issue: the
    # package has no comment on a PR, so `issue.pull_request` is added and the issue is #2.
    body = copy.deepcopy(payload("issue_comment.created"))
    body["issue"]["number"] = 2
    body["issue"]["pull_request"] = {"url": f"https://api.github.com/repos/{REPO}/pulls/2"}
    body["comment"]["body"] = text
    body["comment"]["author_association"] = association
    return body


def test_review_command_from_a_member_reviews_the_current_head(
    tmp_path: Path, gh: FakeGitHub, model: FakeModel
) -> None:
    run = run_action(tmp_path, gh, model, "issue_comment", review_comment("MEMBER"))
    assert run.code == 0, run.stdout + run.stderr
    [review] = posted_reviews(gh)
    assert review["commit_id"] == payload("pull_request.opened")["pull_request"]["head"]["sha"]
    assert run.outputs["review-url"]


def test_review_command_from_a_contributor_is_ignored(
    tmp_path: Path, gh: FakeGitHub, model: FakeModel
) -> None:
    run = run_action(tmp_path, gh, model, "issue_comment", review_comment("CONTRIBUTOR"))
    assert run.code == 0
    [notice] = run.commands("notice")
    assert "(CONTRIBUTOR) is ignored" in notice
    assert gh.requests == [] and model.requests == []


@pytest.mark.parametrize("event", ["pull_request", "issue_comment"])
def test_annotation_levels_follow_the_fail_on_the_review_applied(
    tmp_path: Path, gh: FakeGitHub, model: FakeModel, event: str
) -> None:
    # fail_on comes from the base branch's config, read once, for a /review command too.
    base = payload("pull_request.opened")["pull_request"]["base"]["sha"]
    gh.add_file_content(REPO, base, ".github/grok-review.yml", "fail_on: minor\n")
    model.script(lambda request: [{**BUG, "severity": "minor"}])
    body = payload("pull_request.opened") if event == "pull_request" else review_comment("OWNER")
    run = run_action(tmp_path, gh, model, event, body, post="annotations")
    assert run.code == 1, run.stdout + run.stderr
    [annotation] = run.commands("error")  # a minor finding that fails the job: an error
    assert annotation.startswith("::error file=app.py,line=2,")
    assert run.commands("warning") == []
    assert len(gh.calls("GET", r"/contents/\.github/grok-review\.yml$")) == 1


# --- pure pieces and the action's metadata ----------------------------------------------------


@pytest.mark.parametrize(
    ("payload_text", "error"),
    [
        (None, "not in GitHub Actions: GITHUB_EVENT_NAME and GITHUB_EVENT_PATH unset"),
        ("{not json", "cannot read the event payload"),
        ("[]", "is not a JSON object"),
    ],
)
def test_unreadable_event_is_one_error_line_and_exit_2(
    tmp_path: Path, payload_text: str | None, error: str
) -> None:
    env: dict[str, str] = {}
    if payload_text is not None:
        event_file = tmp_path / "event.json"
        event_file.write_text(payload_text)
        env = {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(event_file)}
    out = io.StringIO()
    assert action.main(env, out) == 2
    [line] = out.getvalue().splitlines()
    assert line.startswith("::error::grok-review: ") and error in line


def test_comment_by_a_bot_is_ignored() -> None:
    body = review_comment("OWNER")
    body["comment"]["user"]["type"] = "Bot"
    assert isinstance(action_decide.decide("issue_comment", body), action_decide.Ignored)


def test_comment_on_a_plain_issue_is_ignored() -> None:
    # The real payload as it is: a comment on issue #1, which is not a pull request.
    body = payload("issue_comment.created")
    body["comment"]["body"] = "/review"
    decision = action_decide.decide("issue_comment", body)
    assert (
        isinstance(decision, action_decide.Ignored) and "not on a pull request" in decision.reason
    )


def test_deleted_fork_counts_as_a_fork() -> None:
    pr = copy.deepcopy(payload("pull_request.opened")["pull_request"])
    assert not action_decide.is_fork(pr)
    pr["head"]["repo"] = None
    assert action_decide.is_fork(pr)


def load_action() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "action.yml").read_text())


def test_every_input_is_described_and_maps_to_a_setting_or_override() -> None:
    meta = load_action()
    run_step = next(s for s in meta["runs"]["steps"] if "bot.action" in s.get("run", ""))
    assert set(meta["inputs"]) == set(action_decide.INPUTS)
    for name, spec in meta["inputs"].items():
        assert spec.get("description", "").strip(), name
        target = action_decide.INPUTS[name]
        assert run_step["env"][target.env] == f"${{{{ inputs.{name} }}}}", name
        if target.target == "settings":
            assert target.field in Settings.model_fields, name
        elif target.target == "config":
            assert target.field in RepoConfig.model_fields, name
        else:
            assert target.field in ("config_path", "post"), name
    assert meta["inputs"]["xai-api-key"]["required"] is True
    assert meta["inputs"]["github-token"]["default"] == "${{ github.token }}"
    assert meta["inputs"]["post"]["default"] == "review"


def test_outputs_come_from_the_step_that_writes_them() -> None:
    meta = load_action()
    run_step = next(s for s in meta["runs"]["steps"] if "bot.action" in s.get("run", ""))
    assert set(meta["outputs"]) == {"findings", "comments-posted", "cost-usd", "review-url"}
    for name, spec in meta["outputs"].items():
        assert spec["description"].strip()
        assert spec["value"] == f"${{{{ steps.{run_step['id']}.outputs.{name} }}}}"


def test_composite_steps_use_bash_and_pinned_actions() -> None:
    meta = load_action()
    assert meta["runs"]["using"] == "composite"
    for step in meta["runs"]["steps"]:
        if "run" in step:
            assert step["shell"] == "bash"
        else:
            ref = step["uses"].split("@", 1)[1]
            assert len(ref) == 40 and all(c in "0123456789abcdef" for c in ref), step["uses"]


# --- workflows --------------------------------------------------------------------------------

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
SHA_PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def load_workflow(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads a bare `on` as true
    return data


def all_steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_grants_nothing_by_default_and_pins_actions(path: Path) -> None:
    workflow = load_workflow(path)
    assert workflow["permissions"] == {}
    assert "pull_request_target" not in workflow["on"]
    for name, job in workflow["jobs"].items():
        assert job["permissions"].get("contents") == "read", name
        assert "write-all" not in str(job["permissions"])
    for step in all_steps(workflow):
        uses = step.get("uses")
        if uses and uses != "./":
            assert SHA_PINNED.match(uses), uses
            if uses.startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False


def test_ci_runs_the_one_ci_script_on_python_311() -> None:
    workflow = load_workflow(ROOT / ".github" / "workflows" / "ci.yml")
    assert {"push", "pull_request"} <= set(workflow["on"])
    [job] = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "read"}
    steps = all_steps(workflow)
    python = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python@"))
    assert python["with"]["python-version"] == "3.11"
    assert any(s.get("run") == "bash .ci/run" for s in steps)


def test_review_workflow_reviews_this_repo_with_its_own_action() -> None:
    workflow = load_workflow(ROOT / ".github" / "workflows" / "review.yml")
    assert set(workflow["on"]["pull_request"]["types"]) == REVIEW_ACTIONS
    assert workflow["on"]["issue_comment"]["types"] == ["created"]
    assert workflow["on"]["pull_request_review_comment"]["types"] == ["created"]
    job, answer = workflow["jobs"]["review"], workflow["jobs"]["answer"]
    assert job["permissions"] == {
        "contents": "read",
        "pull-requests": "write",
        "checks": "write",
    }
    assert answer["permissions"] == {"contents": "read", "pull-requests": "write"}
    # Answers run the default branch's Action, one run per comment, for writers only.
    checkout = next(s for s in answer["steps"] if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["ref"] == "${{ github.event.repository.default_branch }}"
    assert answer["concurrency"]["group"] == "grok-review-answer-${{ github.event.comment.id }}"
    assert "author_association" in answer["if"] and "/ask" in answer["if"]
    for each in (job, answer):
        [step] = [s for s in each["steps"] if s.get("uses") == "./"]
        assert step["with"] == {"xai-api-key": "${{ secrets.XAI_API_KEY }}"}


@pytest.mark.skipif(shutil.which("actionlint") is None, reason="actionlint is not installed")
def test_actionlint_accepts_the_workflows() -> None:
    proc = subprocess.run(
        ["actionlint", *map(str, WORKFLOWS)], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


# --- repository context ---------------------------------------------------------------------


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


def test_cost_output_is_empty_when_the_cost_is_unknown(tmp_path) -> None:
    from bot.models import Review, Usage

    out = tmp_path / "out"
    for usage, expected in ((Usage(requests=1, cost_usd=0.01), "0.0100"),
                            (Usage(requests=1, unpriced_requests=1), "")):  # fmt: skip
        out.write_text("")
        review = Review(summary="", model="local-model", usage=usage)
        action.write_outputs({"GITHUB_OUTPUT": str(out)}, review, posted=False, url=None)
        assert f"cost-usd={expected}\n" in out.read_text()
