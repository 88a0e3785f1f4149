"""The GitHub adapter, with the real PyGithub against the fake GitHub on 127.0.0.1."""

from __future__ import annotations

import pytest

from bot.errors import ConfigError, GitHubAccessError, GitHubError
from bot.github.api import GitHubClient
from bot.github.data import GitHubRateLimited, file_from_github
from bot.settings import Settings
from tests.fakes.github import FakeGitHub
from tests.helpers.keys import app_private_key
from tests.helpers.settings import github_values

REPO, NUMBER = "octo/widgets", 7
BASE, HEAD = "b" * 40, "c" * 40
PATCH = "@@ -1,2 +1,3 @@\n import os\n+x = 1\n print('done')"
FILES = [
    {"filename": "src/app.py", "status": "modified", "patch": PATCH},
    {"filename": "logo.png", "status": "added", "additions": 0, "deletions": 0, "changes": 0},
    {"filename": "data/big.sql", "status": "modified", "additions": 90000, "changes": 90000},
    {
        "filename": "src/new_name.py",
        "previous_filename": "src/old_name.py",
        "status": "renamed",
        "patch": "@@ -3 +3 @@\n-a\n+b",
    },
]
BOT_BODY = "Summary\n\n<!-- grok-review:head=" + HEAD + " -->"


def make_settings(fake: FakeGitHub, **overrides: object) -> Settings:
    return Settings(**{**github_values(fake), "github_retries": 2, **overrides})


class Waits:
    """Records sleeps instead of sleeping; a clock that only moves when asked."""

    def __init__(self) -> None:
        self.slept: list[float] = []
        self.now = 100.0

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def make_client(fake: FakeGitHub, token: str = "tok-write", **kw: object) -> GitHubClient:
    settings = make_settings(fake, **kw)
    client = GitHubClient.from_token(settings, token=token)
    return client


@pytest.fixture
def fake(fake_github: FakeGitHub) -> FakeGitHub:
    fake_github.add_pr(
        REPO,
        NUMBER,
        title="Add widgets",
        body="Adds the widget.",
        base_sha=BASE,
        head_sha=HEAD,
        head_ref="feature/widgets",
        labels=["enhancement"],
        author="dependabot[bot]",
        author_type="Bot",
        draft=True,
        files=FILES,
    )
    return fake_github


def test_fetch_pull_request_maps_metadata_and_files(fake):
    fetched = make_client(fake).fetch_pull_request(REPO, NUMBER)
    pr = fetched.pr
    assert (pr.repo, pr.number, pr.title, pr.body) == (
        REPO,
        NUMBER,
        "Add widgets",
        "Adds the widget.",
    )
    assert (pr.base_sha, pr.head_sha, pr.base_ref, pr.head_ref) == (
        BASE,
        HEAD,
        "main",
        "feature/widgets",
    )
    assert (pr.author, pr.author_is_bot, pr.draft, pr.labels) == (
        "dependabot[bot]",
        True,
        True,
        ("enhancement",),
    )
    assert fetched.state == "open"
    app, logo, big, renamed = pr.files
    assert [h.new_start for h in app.hunks] == [1] and app.added == 1
    assert (logo.binary, logo.patch_missing, logo.hunks) == (True, False, ())
    assert (big.binary, big.patch_missing) == (False, True)
    assert (renamed.status, renamed.old_path, renamed.path) == (
        "renamed",
        "src/old_name.py",
        "src/new_name.py",
    )
    assert not pr.github_file_limit_hit


def test_three_hundred_files_come_in_three_pages_of_100(fake):
    files = [
        {"filename": f"pkg/m{i:03}.py", "status": "added", "patch": "@@ -0,0 +1 @@\n+x"}
        for i in range(300)
    ]
    fake.add_pr(REPO, 8, head_sha="d" * 40, base_sha=BASE, files=files)
    pr = make_client(fake).fetch_pull_request(REPO, 8).pr
    assert [f.path for f in pr.files] == [f["filename"] for f in files]
    pages = fake.calls("GET", r"/pulls/8/files$")
    assert [(r.query["page"], r.query["per_page"]) for r in pages] == [
        ("1", "100"),
        ("2", "100"),
        ("3", "100"),
    ]


def test_more_files_than_github_lists_sets_the_limit_flag(fake):
    files = [
        {"filename": f"f{i}.txt", "status": "added", "patch": "@@ -0,0 +1 @@\n+x"}
        for i in range(3005)
    ]
    fake.add_pr(REPO, 9, head_sha="e" * 40, base_sha=BASE, files=files)
    pr = make_client(fake).fetch_pull_request(REPO, 9).pr
    assert len(pr.files) == 3000
    assert pr.github_file_limit_hit


def test_file_from_github_tells_pure_renames_and_deletions_apart():
    rename = file_from_github(
        {"filename": "b.py", "previous_filename": "a.py", "status": "renamed", "changes": 0}
    )
    assert (rename.status, rename.binary, rename.patch_missing) == ("renamed", False, False)
    removed = file_from_github({"filename": "old.py", "status": "removed", "changes": 40})
    assert (removed.status, removed.patch_missing) == ("deleted", True)
    cut = file_from_github({"filename": "x.py", "patch": "@@ -1,3 +1,3 @@\n a", "changes": 2})
    assert cut.patch_missing  # a patch GitHub cut mid-hunk is as good as missing


def test_fetch_file_reads_the_given_ref_and_none_when_absent(fake):
    fake.add_file_content(REPO, BASE, ".github/grok-review.yml", "min_severity: major\n")
    client = make_client(fake)
    assert client.fetch_file(REPO, ".github/grok-review.yml", ref=BASE) == "min_severity: major\n"
    assert client.fetch_file(REPO, ".github/grok-review.yml", ref=HEAD) is None
    assert fake.calls("GET", r"/contents/")[0].query == {"ref": BASE}


def test_fetch_file_over_the_contents_apis_1_mb_is_an_error_naming_it(fake):
    fake.add_file_content(REPO, BASE, "AGENTS.md", "x" * (1024 * 1024 + 1))
    with pytest.raises(GitHubError, match=r"^AGENTS\.md at bbbbbbb is too large to read"):
        make_client(fake).fetch_file(REPO, "AGENTS.md", ref=BASE)


def test_compare_returns_status_and_files_or_none_for_unknown_commits(fake):
    fake.add_compare(REPO, HEAD, "f" * 40, files=[FILES[0]], status="ahead")
    client = make_client(fake)
    comparison = client.compare(REPO, HEAD, "f" * 40)
    assert comparison is not None
    assert comparison.status == "ahead"
    assert [f.path for f in comparison.files] == ["src/app.py"]
    assert client.compare(REPO, "9" * 40, HEAD) is None


def test_compare_at_githubs_300_file_cap_is_truncated(fake):
    many = [
        {"filename": f"f{i}.py", "status": "added", "patch": "@@ -0,0 +1 @@\n+x"}
        for i in range(301)
    ]
    fake.add_compare(REPO, HEAD, "f" * 40, files=many[:299])
    fake.add_compare(REPO, HEAD, "e" * 40, files=many)
    client = make_client(fake)
    below = client.compare(REPO, HEAD, "f" * 40)
    capped = client.compare(REPO, HEAD, "e" * 40)
    assert below is not None and not below.truncated
    assert capped is not None and capped.truncated and len(capped.files) == 300


def test_only_marked_reviews_by_a_bot_count_as_ours(fake):
    fake.add_review(REPO, NUMBER, body=BOT_BODY)  # the bot's
    fake.add_review(REPO, NUMBER, body="LGTM", author="carol")
    fake.add_review(REPO, NUMBER, body=BOT_BODY, author="mallory")  # a pasted marker
    fake.add_review(REPO, NUMBER, body="no marker")  # the bot, but not a review of ours
    reviews = make_client(fake).list_bot_reviews(REPO, NUMBER)
    assert [(r.author, r.commit_id) for r in reviews] == [("grok-review[bot]", HEAD)]
    assert reviews[0].body == BOT_BODY


def test_with_a_personal_token_marked_work_by_its_own_user_counts_as_ours(fake):
    fake.bot_login = "carol"  # a personal token writes as its user, not as a Bot
    fake.add_review(REPO, NUMBER, body=BOT_BODY)  # carol's, through the token
    fake.add_review(REPO, NUMBER, body=BOT_BODY, author="mallory")  # a pasted marker
    client = make_client(fake)
    assert [r.author for r in client.list_bot_reviews(REPO, NUMBER)] == ["carol"]
    assert [r.author for r in client.list_bot_reviews(REPO, NUMBER)] == ["carol"]
    assert len(fake.calls("GET", r"^/user$")) == 1  # asked once per client


def test_create_review_sends_exactly_the_body_and_refuses_approve(fake):
    client = make_client(fake)
    comment = {"path": "src/app.py", "body": "x", "line": 2, "side": "RIGHT"}
    item = client.create_review(
        REPO, NUMBER, commit_id=HEAD, body=BOT_BODY, event="COMMENT", comments=[comment]
    )
    (post,) = fake.calls("POST", r"/pulls/7/reviews$")
    assert post.json == {
        "commit_id": HEAD,
        "body": BOT_BODY,
        "event": "COMMENT",
        "comments": [comment],
    }
    assert item.id == fake.reviews(REPO, NUMBER)[0]["id"]
    with pytest.raises(ValueError, match="APPROVE"):
        client.create_review(
            REPO,
            NUMBER,
            commit_id=HEAD,
            body="b",
            event="APPROVE",
            comments=(),  # type: ignore[arg-type]
        )
    assert len(fake.calls("POST", r"/reviews$")) == 1


def test_read_only_token_cannot_post_a_review(fake):
    client = make_client(fake, token="tok-read")
    with pytest.raises(GitHubAccessError) as caught:
        client.create_review(REPO, NUMBER, commit_id=HEAD, body="b", event="COMMENT", comments=())
    assert str(caught.value) == (
        "the token cannot write pull request reviews (403); it needs pull-requests: write"
    )
    assert caught.value.exit_code == 2


def test_bad_token_and_missing_pr_are_access_errors(fake):
    with pytest.raises(
        GitHubAccessError, match=r"GitHub rejected the token \(401\): set GITHUB_TOKEN"
    ):
        make_client(fake, token="tok-wrong").fetch_pull_request(REPO, NUMBER)
    with pytest.raises(GitHubAccessError) as caught:
        make_client(fake).fetch_pull_request(REPO, 404)
    assert str(caught.value) == "octo/widgets#404 not found, or the token cannot see it (404)"


def test_primary_rate_limit_is_an_upstream_error_not_an_access_error(fake):
    limit = {"message": "API rate limit exceeded for installation ID 1."}
    fake.inject("GET", r"/pulls/7$", 403, limit)
    with pytest.raises(GitHubError) as caught:
        make_client(fake).fetch_pull_request(REPO, NUMBER)
    assert not isinstance(caught.value, GitHubAccessError) and caught.value.exit_code == 3
    assert str(caught.value).startswith("GitHub API rate limit exceeded: ")
    assert len(fake.calls("GET", r"/pulls/7$")) == 1  # not waited out: it lasts up to an hour


def test_422_is_a_github_error_with_githubs_message(fake):
    client = make_client(fake)
    bad = {"path": "src/app.py", "body": "x", "line": 40, "side": "RIGHT"}
    with pytest.raises(GitHubError) as caught:
        client.create_review(
            REPO, NUMBER, commit_id=HEAD, body="b", event="COMMENT", comments=[bad]
        )
    assert caught.value.status == 422
    assert "must be part of the diff" in str(caught.value)


def test_secondary_rate_limit_on_a_read_is_waited_out(fake):
    waits = Waits()
    fake.inject(
        "GET",
        r"/pulls/7$",
        403,
        {"message": "You have exceeded a secondary rate limit"},
        {"retry-after": "7"},
    )
    client = GitHubClient(make_client(fake)._gh, make_settings(fake), sleep=waits.sleep)
    assert client.fetch_pull_request(REPO, NUMBER).pr.head_sha == HEAD
    assert waits.slept == [7.0]
    assert [r.status for r in fake.calls("GET", r"/pulls/7$")] == [403, 200]


def test_secondary_rate_limit_on_the_review_post_is_left_to_the_caller(fake):
    fake.inject("POST", r"/reviews$", 429, {"message": "slow down"}, {"retry-after": "3"})
    with pytest.raises(GitHubRateLimited) as caught:
        make_client(fake).create_review(
            REPO, NUMBER, commit_id=HEAD, body="b", event="COMMENT", comments=()
        )
    assert caught.value.wait_s == 3.0
    assert len(fake.calls("POST", r"/reviews$")) == 1 and not fake.reviews(REPO, NUMBER)


def test_reads_retry_5xx_with_backoff_but_writes_do_not(fake):
    waits = Waits()
    settings = make_settings(fake, github_retry_base_s=0.5)
    client = GitHubClient(make_client(fake)._gh, settings, sleep=waits.sleep)
    fake.inject("GET", r"/pulls/7$", 502, times=2)
    assert client.fetch_pull_request(REPO, NUMBER).pr.number == NUMBER
    assert waits.slept == [0.5, 1.0]
    fake.inject("POST", r"/issues/7/comments$", 500, apply_then_fail=True)
    with pytest.raises(GitHubError) as caught:
        client.create_issue_comment(REPO, NUMBER, "hello")
    assert caught.value.status == 500
    assert len(fake.calls("POST", r"/issues/7/comments$")) == 1


def test_writes_are_spaced_apart(fake):
    waits = Waits()
    settings = make_settings(fake, github_write_spacing_s=1.5)
    client = GitHubClient(make_client(fake)._gh, settings, sleep=waits.sleep, clock=waits.clock)
    client.create_issue_comment(REPO, NUMBER, "one")
    waits.now += 0.5
    client.create_issue_comment(REPO, NUMBER, "two")
    assert waits.slept == [pytest.approx(1.0)]


def test_check_run_annotations_go_fifty_per_request(fake):
    notes = [
        {
            "path": "src/app.py",
            "start_line": 2,
            "end_line": 2,
            "annotation_level": "warning",
            "message": f"m{i}",
        }
        for i in range(120)
    ]
    make_client(fake).create_check_run(
        REPO,
        name="grok-review",
        head_sha=HEAD,
        conclusion="success",
        title="t",
        summary="s",
        annotations=notes,
    )
    (run,) = fake.check_runs(REPO)
    assert [a["message"] for a in run["annotations"]] == [n["message"] for n in notes]
    sizes = [len(r.json["output"]["annotations"]) for r in fake.calls("POST", "/check-runs")]
    sizes += [len(r.json["output"]["annotations"]) for r in fake.calls("PATCH", "/check-runs/")]
    assert sizes == [50, 50, 20]
    assert (run["conclusion"], run["status"]) == ("success", "completed")


def test_dismiss_review(fake):
    review = fake.add_review(REPO, NUMBER, body=BOT_BODY, state="CHANGES_REQUESTED")
    make_client(fake).dismiss_review(REPO, NUMBER, review["id"], message="fixed")
    assert fake.reviews(REPO, NUMBER)[0]["state"] == "DISMISSED"


def test_app_installation_client_gets_a_token_and_reads(fake):
    settings = make_settings(
        fake, github_token=None, github_app_id="123", github_app_private_key=app_private_key()
    )
    client = GitHubClient.for_installation(settings, 1)
    assert client.fetch_pull_request(REPO, NUMBER).pr.head_sha == HEAD
    assert fake.calls("POST", r"/app/installations/1/access_tokens$")
    assert fake.jwt_claims and fake.jwt_claims[0]["iss"] == "123"
    pr_get = fake.calls("GET", r"/pulls/7$")[0]
    assert pr_get.headers["authorization"] == "token ghs_inst_1"


def test_app_installation_client_needs_a_valid_key(fake):
    settings = make_settings(fake, github_app_id="123", github_app_private_key="-----BEGIN nope")
    with pytest.raises(ConfigError, match="not a valid RSA private key"):
        GitHubClient.for_installation(settings, 1)
    with pytest.raises(ConfigError, match="GITHUB_APP_ID"):
        GitHubClient.for_installation(make_settings(fake), 1)
