"""git for the benchmarks' generated repositories: a fixed author, no user or system config."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def git_bytes(cwd: Path, *args: str) -> bytes:
    """Run `git ARGS` in `cwd`; its output as bytes (trees, blobs, archives)."""
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run(
        ["git", "-c", "user.name=b", "-c", "user.email=b@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        env=env,
    ).stdout


def git(cwd: Path, *args: str) -> str:
    """Run `git ARGS` in `cwd`; its output as text (strip a SHA yourself)."""
    return git_bytes(cwd, *args).decode()
