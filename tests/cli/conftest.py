"""The checkout the command-line tests run in."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.git import git, init_repo


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A checkout with main and a feature branch of two commits, plus staged/unstaged edits."""
    r = init_repo(
        tmp_path / "repo", {"src/app.py": "def f(x):\n    return x\n", "README.md": "# demo\n"}
    )
    git(r, "checkout", "-qb", "feature")
    (r / "src" / "app.py").write_text("def f(x):\n    return x * 2\n\n\ndef g():\n    pass\n")
    git(r, "commit", "-qam", "double it")
    (r / "package-lock.json").write_text('{"lockfileVersion": 3}\n')
    (r / "src" / "util.py").write_text("VALUE = 1\n")
    git(r, "add", ".")
    git(r, "commit", "-qm", "add util and lock")
    return r
