"""The review-pr command on a PR: JSON, dry runs, posting once, errors, and PR references."""

from __future__ import annotations

import json
import time

import pytest

from bot.cli import main as cli
from bot.cli.pr import parse_pr_ref
from bot.errors import UsageError
from tests.github.review.helpers import (
    BASE,
    CONFIG,
    HEAD,
    HEAD2,
    NUMBER,
    OFF_BY_ONE,
    REPO,
    UTIL,
    review_posts,
    script,
)


def test_cli_prints_json_without_posting(cli_env, fake, model, capsys):
    script(model, {"src/app.py": [OFF_BY_ONE]})
    code = cli.main([f"https://github.com/{REPO}/pull/{NUMBER}", "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [(c["path"], c["line"]) for c in out["comments"]] == [("src/app.py", 2)]
    assert out["head_sha"] == HEAD
    assert not review_posts(fake) and not fake.check_runs(REPO)


def test_cli_dry_run_plans_a_300_file_pr_without_the_model(cli_env, fake, model, capsys):
    files = [{"filename": f"pkg/m{i:03}.py", "status": "added", "patch": UTIL} for i in range(300)]
    fake.add_pr(REPO, 9, base_sha=BASE, head_sha=HEAD2, files=files)
    code = cli.main([f"{REPO}#9", "--dry-run", "--format", "json"])
    plan = json.loads(capsys.readouterr().out)
    assert code == 0 and not model.requests
    assert plan["files"]["total"] == 300 and plan["changed_lines"]["total"] == 600
    assert len(fake.calls("GET", r"/pulls/9/files$")) == 3


def test_cli_post_twice_on_one_head_posts_once(cli_env, fake, model, capsys):
    script(model, {"src/app.py": [OFF_BY_ONE]})
    assert cli.main([f"{REPO}#{NUMBER}", "--post", "--format", "json"]) == 0
    capsys.readouterr()
    assert cli.main([f"{REPO}#{NUMBER}", "--post", "--format", "json"]) == 0
    assert f"already reviewed {HEAD[:7]}" in capsys.readouterr().err
    assert len(fake.reviews(REPO, NUMBER)) == 1


def test_cli_post_with_a_read_only_token_exits_2(cli_env, fake, model, capsys):
    cli_env.setenv("GITHUB_TOKEN", "tok-read")
    code = cli.main([f"{REPO}#{NUMBER}", "--post"])
    err = capsys.readouterr().err
    assert code == 2
    assert (
        "review-pr: error: the token cannot write pull request reviews (403); "
        "it needs pull-requests: write"
    ) in err
    assert "Traceback" not in err and not fake.reviews(REPO, NUMBER)


def test_cli_unknown_pr_exits_2(cli_env, capsys):
    code = cli.main([f"{REPO}#99", "--format", "json"])
    assert code == 2
    assert capsys.readouterr().err.strip() == (
        f"review-pr: error: {REPO}#99 not found, or the token cannot see it (404)"
    )


def test_cli_without_a_token_tries_anonymously(cli_env, fake, capsys):
    cli_env.delenv("GITHUB_TOKEN")
    assert cli.main([f"{REPO}#{NUMBER}"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "review-pr: error: GitHub rejected anonymous access (401): set GITHUB_TOKEN"
    (request,) = fake.requests
    assert "authorization" not in request.headers
    assert cli.main([f"{REPO}#{NUMBER}", "--post"]) == 2
    assert "--post needs GITHUB_TOKEN" in capsys.readouterr().err
    assert len(fake.requests) == 1


def test_cli_invalid_base_config_exits_2_without_posting(cli_env, fake, capsys):
    fake.add_file_content(REPO, BASE, CONFIG, "min_severity: huge\n")
    assert cli.main([f"{REPO}#{NUMBER}"]) == 2
    assert "min_severity" in capsys.readouterr().err
    assert not fake.issue_comments(REPO, NUMBER)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("octo/widgets#7", ("octo/widgets", 7)),
        ("https://github.com/octo/widgets/pull/7", ("octo/widgets", 7)),
        ("https://github.com/octo/widgets/pull/7/files", ("octo/widgets", 7)),
        ("https://ghe.example.com/team/repo.js/pull/12", ("team/repo.js", 12)),
        ("https://ghe.example.com/github/a/b/pull/3/c/d/pull/4", ("c/d", 4)),  # the last one
        ("octo/widgets#007", ("octo/widgets", 7)),
    ],
)
def test_parse_pr_ref(text, expected):
    assert parse_pr_ref(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "octo/widgets",
        "widgets#7",
        "octo/widgets#0",
        "../x#1",
        "x",
        "octo/widgets#" + "9" * 5_000,  # int() would raise past 4,300 digits
        "https://x/" + "a/pull/1/" * 20_000 + " x",  # used to backtrack for minutes
    ],
)
def test_parse_pr_ref_rejects_other_text(text):
    started = time.monotonic()
    with pytest.raises(UsageError):
        parse_pr_ref(text)
    assert time.monotonic() - started < 5
