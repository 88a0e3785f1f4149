"""Reading through the adapter: the PR and its files, file contents, compares, our reviews."""

from __future__ import annotations

import pytest

from bot.errors import GitHubError
from bot.github.data import file_from_github
from tests.github.api.helpers import (
    BASE,
    BOT_BODY,
    FILES,
    HEAD,
    NUMBER,
    REPO,
    make_client,
)


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
