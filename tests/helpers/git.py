"""git in the tests' throwaway repositories, run as a fixed test author."""

from __future__ import annotations

import subprocess
from pathlib import Path


def git(cwd: Path, *args: str) -> str:
    """Run `git ARGS` in `cwd` and return its output as it is (strip a SHA yourself)."""
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )
    return done.stdout.decode()


def init_repo(path: Path, files: dict[str, str], *, message: str = "base") -> Path:
    """A new repository at `path` on branch main whose first commit holds `files`
    (relative path -> text); returns `path`."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    git(path, "add", ".")
    git(path, "commit", "-qm", message)
    return path
