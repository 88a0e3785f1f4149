"""Reviewing a GitHub PR end to end: real PyGithub and openai clients against the two fakes."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from bot.app import reviewer as app_reviewer
from bot.app.jobs import ReviewJob
from bot.app.reviewer import AppReviewer
from bot.cli import main as cli
from bot.cli.pr import parse_pr_ref
from bot.errors import UsageError
from bot.github import publish as github_publish
from bot.github.api import GitHubClient
from bot.github.review import review_pull_request
from bot.settings import Settings
from tests.fakes.github import FakeGitHub
from tests.fakes.jobs import FakeJobContext
from tests.fakes.openai_server import FakeModel, finding, last_message
from tests.helpers.settings import settings_for

REPO, NUMBER = "octo/widgets", 7
BASE, HEAD, HEAD2, HEAD3 = "a" * 40, "b" * 40, "c" * 40, "d" * 40
APP_V1 = (
    "@@ -1,2 +1,4 @@\n import os\n+for i in range(len(xs) - 1):\n+    print(xs[i])\n print('done')"
)
# After a push: one more line; line 2 (the finding's line) is unchanged.
APP_V2 = (
    "@@ -1,2 +1,5 @@\n import os\n+for i in range(len(xs) - 1):\n+    print(xs[i])\n"
    "+log('x')\n print('done')"
)
APP_PUSH = (
    "@@ -2,3 +2,4 @@\n for i in range(len(xs) - 1):\n     print(xs[i])\n+log('x')\n print('done')"
)
UTIL = "@@ -0,0 +1,2 @@\n+def half(n):\n+    return n / 2"
README = "@@ -1 +1,2 @@\n # Widgets\n+Widgets are great."
V1 = [
    {"filename": "src/app.py", "status": "modified", "patch": APP_V1},
    {"filename": "README.md", "status": "modified", "patch": README},
]
V2 = [
    {"filename": "src/app.py", "status": "modified", "patch": APP_V2},
    {"filename": "README.md", "status": "modified", "patch": README},
    {"filename": "src/util.py", "status": "added", "patch": UTIL},
]
OFF_BY_ONE = finding(path="src/app.py", line=2)  # major bug quoting line 2
HALF = finding(
    path="src/util.py",
    line=2,
    severity="minor",
    title="Integer division expected",
    code="    return n / 2",
)
CONFIG = ".github/grok-review.yml"


@pytest.fixture
def fake(fake_github: FakeGitHub) -> Iterator[FakeGitHub]:
    fake_github.add_pr(REPO, NUMBER, base_sha=BASE, head_sha=HEAD, files=V1, title="Loop fix")
    yield fake_github
    # Whatever a test did: the bot never approves.
    events = [r.json.get("event") for r in fake_github.requests if isinstance(r.json, dict)]
    assert "APPROVE" not in events


@pytest.fixture
def settings(fake: FakeGitHub, model: FakeModel) -> Settings:
    return make_settings(fake, model)


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waits: list[float] = []
    monkeypatch.setattr(github_publish, "_sleep", waits.append)
    return waits


def make_settings(fake: FakeGitHub, model: FakeModel, **kw: Any) -> Settings:
    return settings_for(fake, model, retry_max_s=0, **kw)


def script(model: FakeModel, by_path: dict[str, list[dict[str, Any]]]) -> None:
    """Each chunk gets the findings of the files it contains."""

    def reply(request: dict[str, Any]) -> list[dict[str, Any]]:
        text = last_message(request)
        return [f for path, items in by_path.items() if path in text for f in items]

    model.script(reply)


def run(settings: Settings, *, trigger: str = "auto", post: bool = True, **kw: Any):
    client = GitHubClient.from_token(settings)
    return review_pull_request(
        settings, client, repo=REPO, number=NUMBER, trigger=trigger, post=post, **kw
    )


def review_posts(fake: FakeGitHub) -> list[Any]:
    return fake.calls("POST", rf"/pulls/{NUMBER}/reviews$")


# --- first review, checks, exactly once -------------------------------------------------


def test_first_review_posts_one_comment_review_with_markers(fake, model, settings):
    script(model, {"src/app.py": [OFF_BY_ONE]})
    outcome = run(settings)
    assert (outcome.posted, outcome.exit_code, outcome.error) == (True, 0, None)
    (post,) = review_posts(fake)
    sent = post.json
    assert sorted(sent) == ["body", "comments", "commit_id", "event"]
    assert (sent["event"], sent["commit_id"]) == ("COMMENT", HEAD)
    (comment,) = sent["comments"]
    assert {k: comment[k] for k in ("path", "line", "side")} == {
        "path": "src/app.py",
        "line": 2,
        "side": "RIGHT",
    }
    fp = outcome.review.comments[0].fingerprint
    assert fp and comment["body"].endswith(f"<!-- grok-review:fp={fp} -->")
    assert "Off-by-one" in comment["body"]
    assert f"<!-- grok-review:head={HEAD} -->" in sent["body"]
    assert f"`{BASE[:7]}..{HEAD[:7]}`" in sent["body"]
    assert outcome.review_url == fake.reviews(REPO, NUMBER)[0]["html_url"]
    assert [c["line"] for c in fake.review_comments(REPO, NUMBER)] == [2]


def test_check_run_carries_annotations_and_conclusion(fake, model, settings):
    script(model, {"src/app.py": [OFF_BY_ONE]})
    run(settings)
    (check,) = fake.check_runs(REPO)
    assert (check["name"], check["head_sha"], check["conclusion"]) == (
        "grok-review",
        HEAD,
        "success",
    )
    (note,) = check["annotations"]
    assert (note["path"], note["start_line"], note["end_line"]) == ("src/app.py", 2, 2)
    assert note["annotation_level"] == "failure"  # major
    assert len(note["title"]) <= 255 and "Off-by-one" in note["title"]


def test_token_without_checks_permission_still_posts_the_review(fake, model):
    settings = make_settings(fake, model, github_token="tok-nochecks")
    script(model, {"src/app.py": [OFF_BY_ONE]})
    outcome = run(settings)
    assert outcome.posted and outcome.exit_code == 0
    assert "token cannot write checks: check run skipped" in outcome.notes
    assert len(fake.reviews(REPO, NUMBER)) == 1 and not fake.check_runs(REPO)


def test_automatic_rerun_on_a_reviewed_head_does_nothing(fake, model, settings):
    script(model, {"src/app.py": [OFF_BY_ONE]})
    run(settings)
    again = run(settings)
    assert (again.skipped_reason, again.posted, again.exit_code) == ("already reviewed", False, 0)
    assert len(model.requests) == 1 and len(review_posts(fake)) == 1


def test_500_on_the_post_that_landed_leaves_exactly_one_review(fake, model, settings, slept):
    script(model, {"src/app.py": [OFF_BY_ONE]})
    fake.inject("POST", r"/reviews$", 502, apply_then_fail=True)
    outcome = run(settings)
    assert outcome.posted and outcome.error is None
    assert len(fake.reviews(REPO, NUMBER)) == 1
    assert len(review_posts(fake)) == 1  # the re-list found it: no second POST
    assert slept == [0]


def test_500_on_a_post_that_did_not_land_is_retried(fake, model, settings, slept):
    fake.inject("POST", r"/reviews$", 503)
    outcome = run(settings)
    assert outcome.posted
    assert [r.status for r in review_posts(fake)] == [503, 200]
    assert len(fake.reviews(REPO, NUMBER)) == 1


def test_post_that_keeps_failing_gives_up_after_the_retries(fake, model, slept):
    settings = make_settings(fake, model, github_retries=2, github_retry_base_s=0.5)
    script(model, {"src/app.py": [OFF_BY_ONE]})
    fake.inject("POST", r"/reviews$", 502, times=3)
    outcome = run(settings)
    assert (outcome.posted, outcome.exit_code) == (False, 3)
    assert outcome.error == "GitHub did not take the review after retries; run again later"
    assert slept == [0.5, 1.0] and len(review_posts(fake)) == 3
    assert fake.reviews(REPO, NUMBER) == []


def test_secondary_rate_limit_on_the_post_waits_retry_after(fake, model, settings, slept):
    script(model, {"src/app.py": [OFF_BY_ONE]})
    limit = {"message": "You have exceeded a secondary rate limit. Please wait a few minutes."}
    fake.inject("POST", r"/reviews$", 403, limit, {"retry-after": "2"})
    outcome = run(settings)
    assert outcome.posted and slept == [2.0]
    assert [r.status for r in review_posts(fake)] == [403, 200]
    assert len(fake.reviews(REPO, NUMBER)) == 1


def test_422_anyway_reposts_once_with_findings_in_the_body(fake, model, settings):
    script(model, {"src/app.py": [OFF_BY_ONE]})
    errors = ["Pull request review thread line must be part of the diff"]
    fake.inject("POST", r"/reviews$", 422, {"message": "Unprocessable Entity", "errors": errors})
    outcome = run(settings)
    assert outcome.posted
    first, second = review_posts(fake)
    assert len(first.json["comments"]) == 1 and second.json["comments"] == []
    fp = outcome.review.comments[0].fingerprint
    assert "Off-by-one" in second.json["body"] and f"grok-review:fp={fp}" in second.json["body"]
    assert any("refused the inline comments" in n for n in outcome.notes)
    assert "> GitHub refused the inline comments" in second.json["body"]
    assert len(fake.reviews(REPO, NUMBER)) == 1


def test_finding_outside_the_diff_goes_to_the_body_never_a_422(fake, model, settings):
    stray = finding(path="src/app.py", line=40, title="Unclosed file", code="f = open(p)")
    script(model, {"src/app.py": [stray]})
    outcome = run(settings)
    (post,) = review_posts(fake)
    assert post.json["comments"] == []
    assert "Findings not tied to a changed line" in post.json["body"]
    assert "Unclosed file" in post.json["body"]
    assert all(r.status != 422 for r in fake.requests)
    assert outcome.posted


# --- incremental reviews and pushes ------------------------------------------------------


def test_new_push_is_reviewed_incrementally_without_repeats(fake, model, settings):
    script(model, {"src/app.py": [OFF_BY_ONE], "src/util.py": [HALF]})
    run(settings)
    fake.set_pr_head(REPO, NUMBER, HEAD2, V2)
    push = [
        {"filename": "src/app.py", "status": "modified", "patch": APP_PUSH},
        {"filename": "src/util.py", "status": "added", "patch": UTIL},
    ]
    fake.add_compare(REPO, HEAD, HEAD2, files=push, status="ahead")
    outcome = run(settings)
    assert fake.calls("GET", rf"/compare/{HEAD}\.\.\.{HEAD2}$")
    chunk_text = last_message(model.requests[-1])
    assert "src/util.py" in chunk_text and "README.md" not in chunk_text
    second = review_posts(fake)[-1].json
    assert [c["path"] for c in second["comments"]] == ["src/util.py"]  # app.py's is not repeated
    assert f"`{HEAD[:7]}..{HEAD2[:7]}`" in second["body"]
    assert outcome.review.reviewed_range == f"{HEAD[:7]}..{HEAD2[:7]}"
    bodies = [c["body"] for c in fake.review_comments(REPO, NUMBER)]
    assert len(bodies) == len(set(bodies)) == 2


def test_force_push_gets_a_full_review_with_dedupe(fake, model, settings):
    script(model, {"src/app.py": [OFF_BY_ONE]})
    run(settings)
    fake.set_pr_head(REPO, NUMBER, HEAD3, V2)
    fake.add_compare(REPO, HEAD, HEAD3, status="diverged", behind_by=1)
    outcome = run(settings)
    chunk_text = last_message(model.requests[-1])
    assert "README.md" in chunk_text  # the whole PR again
    latest = review_posts(fake)[-1].json
    assert latest["comments"] == [] and latest["commit_id"] == HEAD3
    assert "already posted" in outcome.review.summary
    assert outcome.review.reviewed_range == f"{BASE[:7]}..{HEAD3[:7]}"


def test_push_with_nothing_reviewable_is_skipped_without_the_model(fake, model, settings):
    run(settings)
    logo = {"filename": "logo.png", "status": "added", "changes": 0}
    fake.set_pr_head(REPO, NUMBER, HEAD2, [*V1, logo])
    fake.add_compare(REPO, HEAD, HEAD2, files=[logo], status="ahead")
    outcome = run(settings)
    assert (outcome.skipped_reason, outcome.posted) == ("nothing new to review", False)
    assert len(model.requests) == 1 and len(review_posts(fake)) == 1


def test_command_on_a_reviewed_head_with_nothing_new_posts_nothing(fake, model, settings):
    script(model, {"src/app.py": [OFF_BY_ONE]})
    run(settings)
    again = run(settings, trigger="command")
    assert len(model.requests) == 2  # a person asked: reviewed again
    assert again.skipped_reason == "already reviewed" and not again.posted
    assert again.notes == (f"already reviewed {HEAD[:7]}, nothing new; nothing posted",)
    assert len(review_posts(fake)) == 1


# --- deciding whether to review -----------------------------------------------------------


@pytest.mark.parametrize(
    ("pr", "reason"),
    [
        ({"draft": True}, "draft"),
        ({"author": "renovate[bot]", "author_type": "Bot"}, "bot author"),
        ({"labels": ["no-review"]}, "skip label"),
        ({"state": "closed"}, "closed"),
    ],
)
def test_automatic_runs_skip(fake, model, settings, pr, reason):
    fake.add_pr(REPO, NUMBER, base_sha=BASE, head_sha=HEAD, files=V1, **pr)
    fake.add_file_content(REPO, BASE, CONFIG, "skip_labels: [no-review]\n")
    outcome = run(settings)
    assert (outcome.skipped_reason, outcome.posted, outcome.exit_code) == (reason, False, 0)
    assert not model.requests and not review_posts(fake)
    assert run(settings, trigger="command").posted  # a person's /review still runs


def test_config_comes_from_the_base_commit_not_the_head(fake, model, settings):
    fake.add_file_content(REPO, HEAD, CONFIG, "enabled: false\n")  # the PR tries to opt out
    assert run(settings).posted
    assert all(r.query.get("ref") == BASE for r in fake.calls("GET", "/contents/"))
    fake.add_pr(REPO, 8, base_sha="e" * 40, head_sha="f" * 40, files=V1)
    fake.add_file_content(REPO, "e" * 40, CONFIG, "enabled: false\n")
    client = GitHubClient.from_token(settings)
    outcome = review_pull_request(settings, client, repo=REPO, number=8, trigger="auto", post=True)
    assert outcome.skipped_reason == "disabled by config"


def test_invalid_base_config_comments_once_and_exits_2(fake, model, settings):
    fake.add_file_content(REPO, BASE, CONFIG, "max_comments: 10\nbogus_key: 1\n")
    first = run(settings)
    assert (first.exit_code, first.skipped_reason) == (2, "invalid config")
    assert "bogus_key" in first.error
    second = run(settings)
    assert second.exit_code == 2
    (comment,) = fake.issue_comments(REPO, NUMBER)
    assert "bogus_key" in comment["body"] and "<!-- grok-review:config-error -->" in comment["body"]
    assert not model.requests and not review_posts(fake)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("exclude: " + "[" * 20_000 + "]" * 20_000, "nested too deeply"),
        ("max_requests: " + "9" * 5_000, "too many digits"),
    ],
    ids=["deep", "huge-int"],
)
def test_hostile_base_config_gets_the_usual_comment_and_exit_2(fake, model, settings, text, says):
    fake.add_file_content(REPO, BASE, CONFIG, text)
    outcome = run(settings)
    assert (outcome.exit_code, outcome.skipped_reason) == (2, "invalid config")
    (comment,) = fake.issue_comments(REPO, NUMBER)
    assert says in comment["body"] and "<!-- grok-review:config-error -->" in comment["body"]
    assert not model.requests and not review_posts(fake)


def test_invalid_base_config_with_a_read_only_token_still_says_why(fake, model):
    fake.add_file_content(REPO, BASE, CONFIG, "bogus_key: 1\n")
    outcome = run(make_settings(fake, model, github_token="tok-read"))
    assert outcome.exit_code == 2 and "bogus_key" in outcome.error
    assert outcome.notes == (
        "could not comment about the configuration error: the token cannot write pull "
        "request comments (403); it needs pull-requests: write (or issues: write)",
    )


def test_cancelled_or_superseded_runs_post_nothing(fake, model, settings):
    assert run(settings, cancelled=lambda: True).skipped_reason == "superseded"
    assert run(settings, expected_head=HEAD2).skipped_reason == "superseded"
    assert not model.requests and not review_posts(fake)


# --- blocking findings --------------------------------------------------------------------


def test_request_changes_then_dismissal_once_fixed(fake, model, settings):
    fake.add_file_content(REPO, BASE, CONFIG, "fail_on: major\nrequest_changes: true\n")
    script(model, {"src/app.py": [OFF_BY_ONE]})
    first = run(settings)
    assert first.exit_code == 1
    assert review_posts(fake)[0].json["event"] == "REQUEST_CHANGES"
    assert fake.check_runs(REPO)[0]["conclusion"] == "failure"
    fake.set_pr_head(REPO, NUMBER, HEAD2, V2)
    script(model, {})
    second = run(settings)
    assert second.exit_code == 0
    assert review_posts(fake)[1].json["event"] == "COMMENT"
    states = [r["state"] for r in fake.reviews(REPO, NUMBER)]
    assert states == ["DISMISSED", "COMMENTED"]
    (dismissal,) = fake.calls("PUT", r"/dismissals$")
    assert HEAD2[:7] in dismissal.json["message"]
    assert fake.check_runs(REPO)[1]["conclusion"] == "success"


def test_request_changes_on_the_tokens_own_pr_falls_back_to_comment(fake, model, settings):
    fake.add_pr(REPO, NUMBER, base_sha=BASE, head_sha=HEAD, files=V1, author=fake.bot_login)
    fake.add_file_content(REPO, BASE, CONFIG, "fail_on: major\nrequest_changes: true\n")
    script(model, {"src/app.py": [OFF_BY_ONE]})
    outcome = run(settings, trigger="command")
    first, second = review_posts(fake)
    assert (first.json["event"], second.json["event"]) == ("REQUEST_CHANGES", "COMMENT")
    assert second.json["comments"] == first.json["comments"] != []
    assert outcome.posted and outcome.exit_code == 1
    assert any("refused REQUEST_CHANGES" in n for n in outcome.notes)


def test_binary_and_patchless_files_are_listed_as_skipped(fake, model, settings):
    files = [
        *V1,
        {"filename": "logo.png", "status": "added", "changes": 0},
        {"filename": "data/dump.sql", "status": "modified", "additions": 80000, "changes": 80000},
    ]
    fake.add_pr(REPO, NUMBER, base_sha=BASE, head_sha=HEAD, files=files)
    outcome = run(settings)
    skipped = {(s.path, s.reason) for s in outcome.review.skipped_files}
    assert {("logo.png", "binary"), ("data/dump.sql", "too_large_for_github")} <= skipped
    body = review_posts(fake)[0].json["body"]
    assert "`logo.png`: binary" in body and "`data/dump.sql`: too_large_for_github" in body


# --- the review-pr command ----------------------------------------------------------------


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


# --- the webhook app's reviewer -----------------------------------------------------------


def test_app_reviewer_posts_and_reports_cost(fake, model, settings):
    script(model, {"src/app.py": [OFF_BY_ONE]})
    reviewer = AppReviewer(settings, client_for=lambda iid: GitHubClient.from_token(settings))
    job = ReviewJob("delivery-1", 1, REPO, NUMBER, HEAD, "auto")
    ctx = FakeJobContext()
    result = reviewer.review(job, ctx)
    assert result.status == "posted"
    assert result.review_url == fake.reviews(REPO, NUMBER)[0]["html_url"]
    assert result.prompt_tokens > 0 and ctx.beats >= 2
    assert "<!-- grok-review:run=delivery-1 -->" in fake.reviews(REPO, NUMBER)[0]["body"]
    redelivered = reviewer.review(job, FakeJobContext())
    assert (redelivered.status, redelivered.detail) == ("skipped", "already reviewed")
    stale = reviewer.review(
        ReviewJob("delivery-2", 1, REPO, NUMBER, HEAD2, "auto"), FakeJobContext()
    )
    assert stale.status == "superseded"
    cancelled = reviewer.review(
        ReviewJob("d3", 1, REPO, NUMBER, None, "command"), FakeJobContext(cancel=True)
    )
    assert cancelled.status == "superseded"
    assert len(fake.reviews(REPO, NUMBER)) == 1


def test_app_reviewer_remembers_how_the_model_server_takes_json_across_jobs(fake):
    fake.add_pr(REPO, NUMBER + 1, base_sha=BASE, head_sha=HEAD2, files=V1, title="Other")
    with FakeModel(formats=("json_object", "text")) as model:  # like llama-cpp-python
        settings = make_settings(fake, model)
        reviewer = AppReviewer(settings, client_for=lambda iid: GitHubClient.from_token(settings))
        first = reviewer.review(ReviewJob("d1", 1, REPO, NUMBER, HEAD, "auto"), FakeJobContext())
        sent = len(model.requests)
        second = reviewer.review(
            ReviewJob("d2", 1, REPO, NUMBER + 1, HEAD2, "auto"), FakeJobContext()
        )
    assert (first.status, second.status) == ("posted", "posted")
    kinds = [r["json"]["response_format"]["type"] for r in model.requests]
    assert kinds[0] == "json_schema" and set(kinds[1:]) == {"json_object"}
    assert len(kinds) > sent  # the second job asked too, in JSON mode from the start
    for number in (NUMBER, NUMBER + 1):
        (posted,) = fake.reviews(REPO, number)
        assert "The model server takes no JSON schema" in posted["body"]


def test_app_reviewer_reports_failures_and_posts_notices(fake, model, settings):
    reviewer = AppReviewer(settings, client_for=lambda iid: GitHubClient.from_token(settings))
    missing = reviewer.review(ReviewJob("d1", 1, REPO, 404, None, "command"), FakeJobContext())
    assert missing.status == "failed" and "not found" in missing.detail
    reviewer.post_notice(ReviewJob("d2", 1, REPO, NUMBER, None, "auto"), "Budget used @alice")
    (comment,) = fake.issue_comments(REPO, NUMBER)
    assert comment["body"] == "Budget used `@alice`\n\n<!-- grok-review:notice -->"


def test_app_reviewer_caches_one_client_per_installation(settings):
    made: list[int | None] = []
    now = [0.0]

    def client_for(iid: int | None) -> GitHubClient:
        made.append(iid)
        return GitHubClient.from_token(settings)

    reviewer = AppReviewer(settings, client_for=client_for, clock=lambda: now[0])
    first = reviewer.client(1)
    assert reviewer.client(1) is first and reviewer.client(2) is not first
    now[0] += app_reviewer.INSTALLATION_CLIENT_TTL_S + 1
    assert reviewer.client(1) is not first
    assert made == [1, 2, 1]
