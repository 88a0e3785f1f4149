"""`review-pr` hands the pipeline the right snapshot for each local source, or says why none."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.cli.main import main
from bot.cli.snapshot import NO_REPOSITORY
from tests.fakes.openai_server import FakeModel
from tests.helpers.git import git, init_repo

BASE_APP = "def f(x):\n    return x\n"
HEAD_APP = "def f(x):\n    return half(x)\n"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch) -> Path:
    r = init_repo(
        tmp_path / "repo",
        {"src/app.py": BASE_APP, "src/util.py": "def half(n):\n    return n / 2\n"},
    )
    git(r, "checkout", "-qb", "feature")
    (r / "src" / "app.py").write_text(HEAD_APP)
    git(r, "commit", "-qam", "use half")
    monkeypatch.chdir(r)
    for name in ("XAI_API_KEY", "GROK_REVIEW_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    return r


def test_branch_review_reads_the_head_commit_not_the_disk(repo, prepared):
    (repo / "src" / "app.py").write_text("uncommitted\n")
    assert main(["--dry-run", "--base", "main", "--quiet"]) == 0
    assert prepared == [{"source": "git", "app": HEAD_APP, "base": BASE_APP, "note": None}]


def test_staged_review_reads_the_index(repo, prepared):
    (repo / "src" / "app.py").write_text("staged\n")
    git(repo, "add", "src/app.py")
    (repo / "src" / "app.py").write_text("unstaged on top\n")
    assert main(["--dry-run", "--staged", "--quiet"]) == 0
    assert prepared == [{"source": "git", "app": "staged\n", "base": HEAD_APP, "note": None}]


def test_working_tree_review_reads_the_disk(repo, prepared):
    (repo / "src" / "app.py").write_text("on disk\n")
    assert main(["--dry-run", "--working-tree", "--quiet"]) == 0
    assert prepared == [{"source": "worktree", "app": "on disk\n", "base": HEAD_APP, "note": None}]


def test_diff_file_matching_the_working_tree_gets_it_as_context(repo, prepared, tmp_path):
    (tmp_path / "change.diff").write_text(git(repo, "diff", "main", "HEAD"))
    assert main(["--dry-run", "--diff", str(tmp_path / "change.diff"), "--quiet"]) == 0
    assert prepared == [{"source": "worktree", "app": HEAD_APP, "base": BASE_APP, "note": None}]


def test_diff_file_not_matching_the_working_tree_gets_no_context(repo, prepared, tmp_path):
    (tmp_path / "change.diff").write_text(git(repo, "diff", "main", "HEAD"))
    git(repo, "checkout", "-q", "main")  # the diff's new side is no longer on disk
    assert main(["--dry-run", "--diff", str(tmp_path / "change.diff"), "--quiet"]) == 0
    (call,) = prepared
    assert call["source"] is None
    assert call["note"] == "the diff does not match the working tree (src/app.py): diff only"


def test_diff_file_outside_a_repository_is_reviewed_with_the_reason_in_the_summary(
    tmp_path, monkeypatch, capsys, prepared
):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.diff").write_text(
        "--- a/app.py\n+++ b/app.py\n@@ -1,2 +1,2 @@\n def f(x):\n-    return x\n+    return 2\n"
    )
    monkeypatch.chdir(outside)
    with FakeModel() as model:
        model.script(lambda request: [])
        monkeypatch.setenv("XAI_API_KEY", "test-key")
        monkeypatch.setenv("GROK_REVIEW_BASE_URL", model.url)
        assert main(["--diff", "x.diff", "--format", "json"]) == 0
    assert prepared[0]["note"] == NO_REPOSITORY
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert summary.endswith(f"Context: {NO_REPOSITORY}.")


def test_a_snapshot_that_cannot_be_made_is_not_fatal(repo, prepared, monkeypatch):
    def broken(*args: Any, **kwargs: Any):
        raise OSError("disk on fire")

    monkeypatch.setattr("bot.cli.snapshot.commit_snapshot", broken)
    assert main(["--dry-run", "--base", "main", "--quiet"]) == 0
    assert prepared[0]["note"] == "none: OSError: disk on fire"


def test_no_snapshot_when_neither_context_nor_tools_would_read_it(repo, prepared, tmp_path):
    config = tmp_path / "off.yml"
    config.write_text("context: {enabled: false}\ntools: {enabled: false}\n")
    assert main(["--dry-run", "--base", "main", "--quiet", "--config", str(config)]) == 0
    assert prepared[0]["source"] is None
