"""What a reviewed pull request gets from the Action: the review, annotations, step outputs,
the summary, and the exit code."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.action import main as action
from bot.github.markers import head_marker
from tests.action.helpers import (
    BUG,
    MERGE_SHA,
    REPO,
    payload,
    posted_reviews,
    review_comment,
    run_action,
)
from tests.fakes.github import FakeGitHub
from tests.fakes.openai_server import FakeModel, error, finding


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


def test_cost_output_is_empty_when_the_cost_is_unknown(tmp_path) -> None:
    from bot.models import Review, Usage

    out = tmp_path / "out"
    for usage, expected in ((Usage(requests=1, cost_usd=0.01), "0.0100"),
                            (Usage(requests=1, unpriced_requests=1), "")):  # fmt: skip
        out.write_text("")
        review = Review(summary="", model="local-model", usage=usage)
        action.write_outputs({"GITHUB_OUTPUT": str(out)}, review, posted=False, url=None)
        assert f"cost-usd={expected}\n" in out.read_text()
