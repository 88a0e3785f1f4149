"""Running `review-pr` as a user would (a subprocess) and reading its JSON plan."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def run_cli(*args: str, cwd: Path, stdin: bytes | None = None, env: dict | None = None):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("GROK_REVIEW_", "XAI_"))}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        env=full_env,
        timeout=60,
    )


def plan_of(proc: subprocess.CompletedProcess) -> dict:
    assert proc.returncode == 0, proc.stderr.decode()
    return json.loads(proc.stdout)


def files_of(plan: dict) -> list[str]:
    return sorted(f for c in plan["chunks"] for f in c["files"])
