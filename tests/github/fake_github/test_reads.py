"""What the fake serves as GitHub does: hunks, paged files, diffs, contents, compares, git data."""

from __future__ import annotations

import httpx
import pytest
from github.GithubException import UnknownObjectException

from tests.fakes.github_diff import parse_hunks
from tests.github.fake_github.helpers import (
    BASE,
    FILES,
    HEAD,
    NUMBER,
    PATCH,
    REPO,
    client,
)


def test_hunk_parser_numbers_lines_like_github():
    first, second = parse_hunks(PATCH)
    assert (first.right, first.left) == ({1, 2, 3, 4}, {1, 2, 3})
    assert (second.right, second.left) == ({21, 22, 23}, {20, 21, 22, 23})


def test_pull_request_and_files_across_three_pages(fake):
    files = [
        {"filename": f"f{i:02}.py", "status": "added", "patch": "@@ -0,0 +1 @@\n+x"}
        for i in range(65)
    ]
    fake.add_pr(REPO, 8, head_sha="d" * 40, base_sha=BASE, files=files, draft=True, labels=["wip"])
    pr = client(fake).get_repo(REPO).get_pull(8)
    assert (pr.number, pr.head.sha, pr.base.sha, pr.draft, pr.user.login) == (
        8,
        "d" * 40,
        BASE,
        True,
        "alice",
    )
    assert [label.name for label in pr.labels] == ["wip"]
    got = list(pr.get_files())
    assert [f.filename for f in got] == [f"f{i:02}.py" for i in range(65)]
    assert got[0].additions == 1 and got[0].patch == "@@ -0,0 +1 @@\n+x"
    pages = fake.calls("GET", r"/pulls/8/files$")
    assert [r.query.get("page", "1") for r in pages] == ["1", "2", "3"]


def test_files_link_header_and_3000_cap(fake):
    fake.add_pr(REPO, 9, files=[{"filename": f"{i}.txt", "status": "added"} for i in range(3005)])
    url = f"{fake.url}/repos/{REPO}/pulls/9/files"
    headers = {"Authorization": "token tok-write"}
    first = httpx.get(url, params={"per_page": 100}, headers=headers)
    assert (
        'page=2>; rel="next"' in first.headers["link"]
        and 'page=30>; rel="last"' in first.headers["link"]
    )
    last = httpx.get(url, params={"per_page": 100, "page": 30}, headers=headers)
    assert len(last.json()) == 100 and 'rel="next"' not in last.headers["link"]
    assert httpx.get(url, params={"per_page": 100, "page": 31}, headers=headers).json() == []


def test_diff_media_type_and_406_when_too_large(fake):
    headers = {"Authorization": "token tok-write", "Accept": "application/vnd.github.diff"}
    diff = httpx.get(f"{fake.url}/repos/{REPO}/pulls/{NUMBER}", headers=headers)
    assert diff.status_code == 200
    assert diff.text.startswith("diff --git a/src/app.py b/src/app.py\n")
    assert "+added2\n" in diff.text and "Binary files /dev/null and b/logo.png differ" in diff.text
    fake.add_pr(REPO, 10, files=[{"filename": f"{i}.txt", "status": "added"} for i in range(301)])
    too_big = httpx.get(f"{fake.url}/repos/{REPO}/pulls/10", headers=headers)
    assert too_big.status_code == 406
    assert too_big.json()["errors"][0]["code"] == "too_large"
    long_patch = "@@ -0,0 +1,20001 @@\n" + "+x\n" * 20001
    fake.add_pr(REPO, 11, files=[{"filename": "big.txt", "status": "added", "patch": long_patch}])
    too_long = httpx.get(f"{fake.url}/repos/{REPO}/pulls/11", headers=headers)
    assert too_long.status_code == 406 and "lines (20000)" in too_long.json()["message"]


def test_contents_at_ref(fake):
    fake.add_file_content(REPO, HEAD, "src/app.py", "print('hé')\n")
    repo = client(fake).get_repo(REPO)
    assert repo.get_contents("src/app.py", ref=HEAD).decoded_content == "print('hé')\n".encode()
    with pytest.raises(UnknownObjectException):
        repo.get_contents("src/app.py", ref=BASE)


def test_compare_and_commit(fake):
    fake.add_compare(
        REPO, HEAD, "f" * 40, files=FILES[:1], status="diverged", ahead_by=2, behind_by=1
    )
    fake.add_commit(REPO, "f" * 40, parents=[HEAD])
    repo = client(fake).get_repo(REPO)
    comparison = repo.compare(HEAD, "f" * 40)
    assert (comparison.status, comparison.ahead_by, comparison.behind_by) == ("diverged", 2, 1)
    assert [f.filename for f in comparison.files] == ["src/app.py"]
    assert [p.sha for p in repo.get_commit("f" * 40).parents] == [HEAD]
    with pytest.raises(UnknownObjectException):
        repo.compare(BASE, "f" * 40).status


def test_git_tree_blob_and_archive_link_parse_in_pygithub(fake):
    fake.add_commit_files(REPO, HEAD, {"src/app.py": "x = 1\n", "run": ("100755", b"#!")})
    repo = client(fake).get_repo(REPO)
    tree = repo.get_git_tree(HEAD, recursive=True)
    assert not tree.raw_data["truncated"]
    entries = {e.path: (e.type, e.mode, e.size) for e in tree.tree}
    assert entries == {
        "run": ("blob", "100755", 2),
        "src": ("tree", "040000", None),
        "src/app.py": ("blob", "100644", 6),
    }
    blob = repo.get_git_blob(next(e.sha for e in tree.tree if e.path == "src/app.py"))
    assert (blob.encoding, blob.size) == ("base64", 6)
    link = repo.get_archive_link("tarball", HEAD)
    assert link.startswith(f"{fake.url}/codeload/{REPO}/legacy.tar.gz/{HEAD}?token=")
    assert httpx.get(link).headers["content-type"] == "application/x-gzip"
    assert httpx.get(link.split("?")[0]).status_code == 404  # the token is the credential
    with pytest.raises(UnknownObjectException):
        repo.get_archive_link("tarball", "f" * 40)
