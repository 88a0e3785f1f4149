"""Snapshots from a real git repository: a commit's objects, the index, the working tree."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from bot.context import git as context_git
from bot.context.git import commit_snapshot, head_commit, index_snapshot
from bot.context.worktree import WorktreeSnapshot, read_regular_file
from tests.helpers.git import git, init_repo


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """base: app.py, util.py; head: app.py changed, new.py, a symlink, a gitlink, a binary."""
    r = init_repo(
        tmp_path / "repo",
        {
            "src/app.py": "def f(x):\n    return x\n",
            "src/util.py": "def half(n):\n    return n / 2\n",
        },
    )
    (r / "src" / "app.py").write_text("def f(x):\n    return half(x)\n")
    (r / "src" / "new.py").write_text("NEW = 1\n")
    (r / "blob.bin").write_bytes(b"\x00\x01\x02binary")
    (r / "big.txt").write_text("x" * 5000)
    os.symlink("/etc/passwd", r / "passwd-link")
    git(r, "add", ".")
    sub = "1" * 40
    git(r, "update-index", "--add", "--cacheinfo", f"160000,{sub},vendor/sub")
    git(r, "commit", "-qm", "head")
    return r


def test_commit_snapshot_lists_regular_files_and_reads_head_and_base(repo: Path):
    head = head_commit(repo)
    assert head and len(head) == 40
    snap = commit_snapshot(repo, head, base=git(repo, "rev-parse", "HEAD~1").strip())
    try:
        assert snap.source == "git"
        # The symlink and the submodule are not files of the snapshot.
        assert list(snap.paths()) == [
            "big.txt",
            "blob.bin",
            "src/app.py",
            "src/new.py",
            "src/util.py",
        ]
        assert snap.read("src/app.py") == "def f(x):\n    return half(x)\n"
        assert snap.read("./src/../src/app.py") == snap.read("src/app.py")
        assert snap.read_base("src/app.py") == "def f(x):\n    return x\n"
        assert snap.read_base("src/new.py") is None  # added by the head
        assert snap.read("blob.bin") is None  # binary
        assert snap.read("passwd-link") is None and snap.read("vendor/sub") is None
        assert snap.read("../repo/src/app.py") is None and snap.read("/etc/passwd") is None
        assert snap.read("missing.py") is None
    finally:
        snap.close()


def test_reads_come_from_the_commit_not_the_disk(repo: Path):
    (repo / "src" / "app.py").write_text("uncommitted edit\n")
    snap = commit_snapshot(repo, head_commit(repo) or "", base=None)
    try:
        assert snap.read("src/app.py") == "def f(x):\n    return half(x)\n"
        assert snap.read_base("src/app.py") is None  # no base given
    finally:
        snap.close()


def test_one_long_lived_cat_file_process_serves_every_read(repo: Path, monkeypatch):
    started: list[list[str]] = []
    real = subprocess.Popen

    def counting(argv, *args, **kwargs):
        started.append(list(argv))
        return real(argv, *args, **kwargs)

    monkeypatch.setattr(context_git.subprocess, "Popen", counting)
    snap = commit_snapshot(
        repo, head_commit(repo) or "", base=git(repo, "rev-parse", "HEAD~1").strip()
    )
    for _ in range(3):
        for path in snap.paths():
            snap.read(path)
            snap.read_base(path)
    assert [a for a in started if "cat-file" in a] == [["git", "cat-file", "--batch"]]
    assert len([a for a in started if "ls-tree" in a]) == 2  # the head's, the base's: once
    procs = list(snap._objects._procs.values())
    snap.close()
    assert all(p.poll() is not None for p in procs)  # ended with the snapshot


def test_per_file_and_total_caps(repo: Path):
    head = head_commit(repo) or ""
    snap = context_git.GitSnapshot(
        repo, context_git.list_tree(repo, head), base=None, max_file=1000
    )
    assert snap.read("big.txt") is None and snap.read("src/app.py")
    snap.close()
    small = context_git.GitSnapshot(
        repo, context_git.list_tree(repo, head), base=None, budget=context_git.Budget(40)
    )
    assert small.read("src/app.py")  # 31 bytes
    assert small.read("src/app.py")  # the same file again costs nothing
    assert small.read("src/util.py") is None  # would pass the 40-byte total
    small.close()


def test_staged_snapshot_reads_the_index_not_the_disk(repo: Path):
    (repo / "src" / "app.py").write_text("staged\n")
    git(repo, "add", "src/app.py")
    (repo / "src" / "app.py").write_text("unstaged on top\n")
    (repo / "untracked.py").write_text("secret = 1\n")
    snap = index_snapshot(repo, base=head_commit(repo))
    try:
        assert snap.read("src/app.py") == "staged\n"
        assert snap.read_base("src/app.py") == "def f(x):\n    return half(x)\n"
        assert "untracked.py" not in snap.paths()
    finally:
        snap.close()


def test_git_filters_and_textconv_never_run(repo: Path, tmp_path: Path):
    marker = tmp_path / "ran"
    (repo / ".gitattributes").write_text("*.py filter=evil diff=evil\n")
    git(repo, "config", "filter.evil.smudge", f"touch {marker}; cat")
    git(repo, "config", "filter.evil.clean", "cat")
    git(repo, "config", "diff.evil.textconv", f"touch {marker}; cat")
    git(repo, "add", ".gitattributes")
    git(repo, "commit", "-qm", "attributes")
    marker.unlink(missing_ok=True)  # `git add` itself ran the clean filter: that is git's
    snap = commit_snapshot(
        repo, head_commit(repo) or "", base=git(repo, "rev-parse", "HEAD~1").strip()
    )
    try:
        assert snap.read("src/app.py") and snap.read_base("src/app.py")
    finally:
        snap.close()
    assert not marker.exists()


def test_worktree_snapshot_reads_tracked_files_from_disk_without_following_links(
    repo: Path, tmp_path: Path
):
    outside = tmp_path / "outside.txt"
    outside.write_text("not the repository's\n")
    (repo / "src" / "app.py").write_text("edited on disk\n")
    (repo / "untracked.py").write_text("x\n")
    # A tracked file replaced on disk by a link out, and a directory replaced by a link.
    (repo / "src" / "util.py").unlink()
    os.symlink(outside, repo / "src" / "util.py")
    os.rename(repo / "src", repo / "src-real")
    os.symlink(repo / "src-real", repo / "src")
    snap = WorktreeSnapshot(repo, base=head_commit(repo))
    try:
        assert snap.source == "worktree"
        assert "untracked.py" not in snap.paths()
        assert snap.read("src/app.py") is None  # `src` is a link now
        assert snap.read("src/util.py") is None
        assert snap.read("big.txt") == "x" * 5000
        assert snap.read_base("src/app.py") == "def f(x):\n    return half(x)\n"
    finally:
        snap.close()


def test_fifo_and_links_read_as_none_without_blocking(tmp_path: Path):
    os.mkfifo(tmp_path / "fifo")
    os.symlink("/etc/hostname", tmp_path / "link")
    (tmp_path / "ok.txt").write_text("ok")
    assert read_regular_file(tmp_path, "fifo") is None
    assert read_regular_file(tmp_path, "link") is None
    assert read_regular_file(tmp_path, "../x") is None
    assert read_regular_file(tmp_path, "ok.txt") == b"ok"
    assert read_regular_file(tmp_path, "ok.txt", max_file=1) is None


def test_head_commit_outside_a_repository_is_none(tmp_path: Path):
    assert head_commit(tmp_path) is None


def test_a_cat_file_process_that_dies_is_replaced(repo: Path):
    snap = commit_snapshot(repo, head_commit(repo) or "", base=None)
    try:
        assert snap.read("src/app.py")
        (proc,) = snap._objects._procs.values()
        proc.kill()
        proc.wait()
        assert snap.read("src/util.py") is None  # the read that found it dead
        assert snap.read("src/util.py") == "def half(n):\n    return n / 2\n"
    finally:
        snap.close()
