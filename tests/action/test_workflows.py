"""action.yml and the workflows: inputs and outputs wired, least permissions, pinned actions."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.action import decide as action_decide
from bot.config import RepoConfig
from bot.github.triggers import REVIEW_ACTIONS
from bot.settings import Settings
from tests import ROOT


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
