"""The head snapshot through the fake GitHub (real PyGithub and requests): the archive, the
files near the change for a large repository, the workspace, the cache, every failure."""

from __future__ import annotations

from typing import Any

import pytest

from bot.context.cache import SnapshotCache
from bot.diff.parse import parse_diff
from bot.github.api import GitHubClient
from bot.github.snapshot import fetch_snapshot
from bot.models import PullRequest
from bot.settings import Settings
from tests.fakes.github import FakeGitHub
from tests.fakes.github_git import HOSTILE_REFUSED, hostile_archive
from tests.helpers.git import git, init_repo
from tests.helpers.settings import github_values

REPO = "octo/widgets"
HEAD, BASE = "c" * 40, "b" * 40
ROOT = "octo-widgets-ccccccc"
APP_OLD = "def f(x):\n    return x\n"
APP_NEW = "def f(x):\n    return half(x)\n"
DIFF = (
    "diff --git a/src/app.py b/src/app.py\n--- a/src/app.py\n+++ b/src/app.py\n"
    "@@ -1,2 +1,2 @@\n def f(x):\n-    return x\n+    return half(x)\n"
)
FILES = parse_diff(DIFF)
PR = PullRequest(repo=REPO, number=7, head_sha=HEAD, base_sha=BASE, files=FILES)
TREE = {
    "src/app.py": APP_NEW,
    "src/util.py": "def half(n):\n    return n / 2\n",
    "README.md": "# Widgets\n",
    "bin/run": ("100755", b"#!/bin/sh\n"),
    "docs/link": ("120000", b"../README.md"),
}


@pytest.fixture
def fake(fake_github: FakeGitHub) -> FakeGitHub:
    fake_github.add_commit_files(REPO, HEAD, TREE)
    return fake_github


def settings_for(fake: FakeGitHub, **kw: Any) -> Settings:
    return Settings(**{**github_values(fake), **kw})


def fetch(fake: FakeGitHub, pr: PullRequest = PR, **kw: Any):
    workspace, cache = kw.pop("workspace", None), kw.pop("cache", None)
    settings = settings_for(fake, **kw)
    client = GitHubClient.from_token(settings)
    return fetch_snapshot(client, pr, pr.files, settings=settings, workspace=workspace, cache=cache)


def api_requests(fake: FakeGitHub) -> list[str]:
    return [r.path for r in fake.requests if not r.path.startswith("/codeload/")]


def test_small_repository_comes_as_one_archive_in_two_api_requests(fake):
    snap, note = fetch(fake)
    assert note is None and snap is not None and snap.source == "github"
    assert list(snap.paths()) == ["README.md", "bin/run", "src/app.py", "src/util.py"]
    assert snap.read("src/app.py") == APP_NEW and snap.read("docs/link") is None
    assert snap.read_base("src/app.py") == APP_OLD  # rebuilt from the head and the patch
    assert snap.read_base("src/util.py") == TREE["src/util.py"]  # untouched by the PR
    assert api_requests(fake) == [
        f"/repos/{REPO}/git/trees/{HEAD}",
        f"/repos/{REPO}/tarball/{HEAD}",
    ]
    (download,) = fake.calls("GET", "/codeload/")
    assert download.status == 200
    assert "authorization" not in download.headers  # the token never leaves for codeload


def test_hostile_archive_members_are_refused_and_the_rest_is_readable(fake):
    good = {"src/app.py": APP_NEW.encode(), "ok.py": b"x = 1\n"}
    fake.set_archive(REPO, HEAD, hostile_archive(ROOT, good=good, oversized=1_000_001))
    snap, note = fetch(fake)
    assert note is None and snap is not None
    assert set(snap.paths()) == {"src/app.py", "ok.py", "big.txt", "z_last.py"}
    assert snap.read("ok.py") == "x = 1\n" and snap.read("z_last.py")
    assert snap.read("big.txt") is None  # over the 1 MB per-file cap
    for name in HOSTILE_REFUSED:
        assert snap.read(name) is None and name not in snap.paths()
    assert snap.read("evil.py") is None and snap.read("etc/evil3.py") is None


def test_archive_past_the_total_cap_is_cut_and_the_note_says_so(fake):
    # The tree says 1 KB; the archive served inflates past the 1 MB cap.
    big = {f"f{i}.py": b"x" * 600_000 for i in range(4)}
    fake.set_archive(REPO, HEAD, hostile_archive(ROOT, good=big, oversized=10))
    snap, note = fetch(fake, snapshot_archive_mb=1)
    assert snap is not None and note is not None and "partial repository context" in note
    assert snap.read("f0.py") and snap.read("f3.py") is None


def test_large_repository_gets_the_files_nearest_the_change(fake):
    tree = {f"src/m{i:02}.py": f"M{i} = {i}\n" + "#" * 100_000 for i in range(15)}
    tree |= {"src/app.py": APP_NEW, "far/away/x.py": "X = 1\n", "src/logo.png": "png"}
    fake.add_commit_files(REPO, HEAD, tree)
    snap, note = fetch(fake, snapshot_archive_mb=1, snapshot_blob_files=4)
    assert snap is not None and note is not None
    assert note.startswith("large repository (18 files, 1 MB): context from the 4 files")
    assert len(snap.paths()) == 18  # every path is listed ...
    assert snap.read("src/app.py") == APP_NEW and snap.read("src/m00.py")
    assert snap.read("src/m03.py") is None and snap.read("far/away/x.py") is None  # ... 4 read
    blobs = [p for p in api_requests(fake) if "/git/blobs/" in p]
    assert len(blobs) == 4 and not fake.calls("GET", "/tarball/")


def test_truncated_tree_also_goes_file_by_file(fake):
    fake.git.tree_limit = 3  # lists README.md, bin/, bin/run: not the changed file
    fake.add_file_content(REPO, HEAD, "src/app.py", APP_NEW)
    snap, note = fetch(fake, snapshot_blob_files=2)
    assert note is not None and "more than 100,000 files" in note
    assert snap is not None and snap.read("src/app.py") == APP_NEW  # by path
    assert snap.read("README.md") == "# Widgets\n"
    assert len(fake.calls("GET", "/contents/")) == len(fake.calls("GET", "/git/blobs/")) == 1


@pytest.mark.parametrize(
    ("method", "path", "status", "expected"),
    [
        ("GET", "/git/trees/", 404, "not found"),
        ("GET", "/git/trees/", 403, "cannot read the repository's files (403)"),
        ("GET", "/tarball/", 404, "not found"),
        ("GET", "/codeload/", 500, "the archive download failed (500)"),
        ("GET", "/codeload/", 200, "the repository archive is damaged"),
    ],
)
def test_fetch_failure_means_no_snapshot_and_a_one_line_note(fake, method, path, status, expected):
    fake.inject(method, path, status, body=b"not an archive" if status == 200 else None)
    snap, note = fetch(fake)
    assert snap is None and note is not None
    assert note.startswith("none: ") and expected in note
    assert "\n" not in note


def test_server_errors_on_the_tree_are_retried_then_given_up(fake):
    fake.inject("GET", "/git/trees/", 502, times=10)
    snap, note = fetch(fake, github_retries=2)
    assert snap is None and note is not None and "(502)" in note
    assert len(fake.calls("GET", "/git/trees/")) == 3


def test_a_hung_download_times_out(fake):
    fake.inject("GET", "/codeload/", 200, body=b"", delay_s=2.0)
    snap, note = fetch(fake, snapshot_timeout_s=0.2)
    assert snap is None and note is not None and "the archive download failed" in note


def test_blob_refusal_stops_fetching_and_says_why(fake):
    tree = {f"src/m{i}.py": "#" * 400_000 for i in range(4)} | {"src/app.py": APP_NEW}
    fake.add_commit_files(REPO, HEAD, tree)
    fake.inject("GET", "/git/blobs/", 403, times=10)
    snap, note = fetch(fake, snapshot_archive_mb=1)
    assert snap is not None and note is not None
    assert "context from the 0 files" in note and "stopped" in note and "(403)" in note
    assert len(fake.calls("GET", "/git/blobs/")) == 1


def test_workspace_holding_the_head_costs_no_request(fake, tmp_path):
    ws = init_repo(tmp_path / "ws", {"src/app.py": APP_NEW}, message="head")
    head = git(ws, "rev-parse", "HEAD").strip()
    (ws / "src" / "app.py").write_text("a later step's edit\n")
    pr = PR.model_copy(update={"head_sha": head})
    snap, note = fetch(fake, pr, workspace=ws)
    assert note is None and snap is not None and snap.source == "git"
    assert snap.read("src/app.py") == APP_NEW and snap.read_base("src/app.py") == APP_OLD
    assert fake.requests == []
    snap.close()
    # A workspace on another commit (the merge commit actions/checkout makes) is not used.
    snap, note = fetch(fake, PR, workspace=ws)
    assert snap is not None and snap.source == "github"
    assert len(api_requests(fake)) == 2


def test_cache_serves_the_same_head_without_requests_and_stays_under_its_cap(fake, tmp_path):
    cache = SnapshotCache(tmp_path / "snapshots", max_bytes=10 << 20)
    first, _ = fetch(fake, cache=cache)
    assert first is not None and first.read("src/app.py") == APP_NEW
    first.close()
    before = len(fake.requests)
    second, note = fetch(fake, cache=cache)
    assert note is None and second is not None and len(fake.requests) == before
    assert second.read("src/app.py") == APP_NEW and second.read_base("src/app.py") == APP_OLD
    second.close()
    assert len(list((tmp_path / "snapshots").rglob("*.zip"))) == 1
    fake.add_commit_files(REPO, "d" * 40, TREE)
    cache.max_bytes = 1  # smaller than one snapshot: each new one pushes the older out
    third, _ = fetch(fake, PR.model_copy(update={"head_sha": "d" * 40}), cache=cache)
    assert third is not None and third.read("README.md") == "# Widgets\n"  # still readable
    third.close()
    assert list((tmp_path / "snapshots").rglob("*.zip")) == []
