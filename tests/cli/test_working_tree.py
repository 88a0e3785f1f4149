"""`--staged` and `--working-tree`: untracked, ignored and credential files; no commit yet."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.cli.helpers import files_of, plan_of, run_cli
from tests.helpers.git import git


def test_working_tree_includes_untracked_files_but_not_ignored_ones(repo: Path) -> None:
    (repo / ".gitignore").write_text("*.log\nbuild/\n")
    git(repo, "add", ".gitignore")
    git(repo, "commit", "-qm", "ignore logs")
    (repo / "src" / "util.py").write_text("VALUE = 2\n")  # tracked, changed
    (repo / "src" / "fresh.py").write_text("def fresh():\n    return 1\n")  # untracked
    (repo / "run.log").write_text("noise\n")  # ignored
    (repo / "build").mkdir()
    (repo / "build" / "out.py").write_text("X = 1\n")  # ignored
    before = subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True)
    plan = plan_of(run_cli("--dry-run", "--format", "json", "--working-tree", cwd=repo))
    assert files_of(plan) == ["src/fresh.py", "src/util.py"]
    assert plan["changed_lines"]["total"] == 4  # 1 removed + 1 added, 2 added
    after = subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True)
    assert after.stdout == before.stdout  # the user's index is untouched
    assert b"?? src/fresh.py" in after.stdout


@pytest.fixture
def fresh(tmp_path: Path) -> Path:
    """`git init` with a staged file and an untracked one: no commit yet."""
    r = tmp_path / "fresh"
    r.mkdir()
    git(r, "init", "-q", "-b", "main")
    (r / "app.py").write_text("def main():\n    return 0\n")
    git(r, "add", "app.py")
    (r / "notes.py").write_text("TODO = 1\n")
    return r


def test_no_commit_yet_staged_changes_are_reviewed_against_the_empty_tree(fresh: Path) -> None:
    plan = plan_of(run_cli("--dry-run", "--format", "json", "--staged", cwd=fresh))
    assert files_of(plan) == ["app.py"] and plan["changed_lines"]["total"] == 2
    tree = plan_of(run_cli("--dry-run", "--format", "json", "--working-tree", cwd=fresh))
    assert files_of(tree) == ["app.py", "notes.py"]


def test_no_commit_yet_branch_review_says_so_in_one_line(fresh: Path) -> None:
    proc = run_cli("--dry-run", cwd=fresh)
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert err.count("\n") == 1 and "no commit yet" in err and "--staged" in err
    assert "rev-parse" not in err


def test_working_tree_leaves_out_untracked_credential_files_and_says_so(repo: Path) -> None:
    (repo / "src" / "fresh.py").write_text("def fresh():\n    return 1\n")
    (repo / ".env").write_text("DATABASE_URL=postgres://u:p@db/x\n")
    (repo / "deploy").mkdir()
    (repo / "deploy" / "server.key").write_text("not a real key\n")
    (repo / ".env.example").write_text("DATABASE_URL=\n")  # a template, reviewed
    proc = run_cli("--dry-run", "--format", "json", "--working-tree", cwd=repo)
    assert files_of(plan_of(proc)) == [".env.example", "src/fresh.py"]
    err = proc.stderr.decode()
    assert "left out 2 untracked files named like credentials (.env, deploy/server.key)" in err
    # Tracked, a file of the same kind is part of the change like any other.
    git(repo, "add", "-N", ".env")
    again = run_cli("--dry-run", "--format", "json", "--working-tree", cwd=repo)
    assert ".env" in files_of(plan_of(again))
    assert (
        "left out 1 untracked file named like credentials (deploy/server.key)"
        in again.stderr.decode()
    )
