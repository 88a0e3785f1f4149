"""Deciding not to review happens before the model is paid: review-pr --post on a reviewed
head, a retried run whose review landed, `enabled: false`; `--force` pays for a fresh look."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from bot.cli import main as cli
from tests.fakes.github import FakeGitHub
from tests.fakes.openai_server import finding
from tests.github.review.helpers import (
    BASE,
    CONFIG,
    HEAD,
    NUMBER,
    OFF_BY_ONE,
    REPO,
    V1,
    make_settings,
    review_posts,
    run,
    script,
)

PRINT = finding(
    path="src/app.py", line=3, severity="minor", title="Prints in a loop", code="print(xs[i])"
)
TARGET = f"{REPO}#{NUMBER}"


@pytest.fixture
def fake(fake_github: FakeGitHub) -> Iterator[FakeGitHub]:
    fake_github.add_pr(REPO, NUMBER, base_sha=BASE, head_sha=HEAD, files=V1)
    yield fake_github


def test_post_on_a_reviewed_head_asks_the_model_nothing(cli_env, fake, model, capsys):
    script(model, {"src/app.py": [OFF_BY_ONE]})
    assert cli.main([TARGET, "--post", "--quiet"]) == 0
    capsys.readouterr()
    assert len(model.requests) == 1
    assert cli.main([TARGET, "--post", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert len(model.requests) == 1  # nothing paid for the second run
    assert f"already reviewed {HEAD[:7]}; nothing sent to the model (--force" in err
    assert len(fake.reviews(REPO, NUMBER)) == 1


def test_force_reviews_again_and_posts_only_what_is_new(cli_env, fake, model, capsys):
    script(model, {"src/app.py": [OFF_BY_ONE]})
    assert cli.main([TARGET, "--post", "--quiet"]) == 0
    script(model, {"src/app.py": [OFF_BY_ONE, PRINT]})
    assert cli.main([TARGET, "--post", "--force", "--quiet"]) == 0
    assert len(model.requests) == 2
    first, second = review_posts(fake)
    assert [c["line"] for c in first.json["comments"]] == [2]
    assert [c["line"] for c in second.json["comments"]] == [3]  # the repeat is not posted
    capsys.readouterr()
    assert cli.main([TARGET, "--post", "--force", "--quiet"]) == 0  # nothing new this time
    assert len(model.requests) == 3 and len(review_posts(fake)) == 2
    assert "nothing new; nothing posted" in capsys.readouterr().err


def test_skipped_run_still_writes_a_document(cli_env, fake, model, capsys, tmp_path):
    script(model, {"src/app.py": [OFF_BY_ONE]})
    assert cli.main([TARGET, "--post", "--quiet"]) == 0
    out = tmp_path / "review.json"
    assert cli.main([TARGET, "--post", "--format", "json", "--output", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["comments"] == [] and doc["summary"] == "Not reviewed: already reviewed."


def test_a_retried_run_whose_review_landed_asks_the_model_nothing(fake, model):
    settings = make_settings(fake, model)
    script(model, {"src/app.py": [OFF_BY_ONE]})
    assert run(settings, trigger="command", run_key="delivery-1").posted
    again = run(settings, trigger="command", run_key="delivery-1")
    assert (again.skipped_reason, again.posted) == ("already reviewed", False)
    assert len(model.requests) == 1 and len(review_posts(fake)) == 1


def test_enabled_false_on_the_base_branch_stops_review_pr_unless_forced(
    cli_env, fake, model, capsys
):
    fake.add_file_content(REPO, BASE, CONFIG, "enabled: false\n")
    script(model, {"src/app.py": [OFF_BY_ONE]})
    assert cli.main([TARGET]) == 0
    assert "config sets enabled: false" in capsys.readouterr().err and not model.requests
    assert cli.main([TARGET, "--dry-run", "--format", "json"]) == 0  # planning is free
    assert json.loads(capsys.readouterr().out)["files"]["total"] == 2 and not model.requests
    assert cli.main([TARGET, "--force", "--format", "json", "--quiet"]) == 0
    assert json.loads(capsys.readouterr().out)["comments"] and len(model.requests) == 1
