"""A worker or the whole server in a subprocess (for kill -9 and SIGTERM), with the fake
reviewer of tests/fakes/reviewer.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from bot.settings import Settings
from tests import ROOT
from tests.fakes.reviewer import FakeReviewer


def spawn_worker(
    settings: Settings, *, reviewer_db: Path, block: bool, grace_s: float = 0.2
) -> subprocess.Popen[bytes]:
    spec = {
        "settings": {k: v for k, v in settings.model_dump(mode="json").items() if v is not None},
        "reviewer_db": str(reviewer_db),
        "block": block,
        "grace_s": grace_s,
    }
    return _spawn("worker_main", spec)


def worker_main(spec_json: str) -> None:
    """Entry point of the worker subprocess: `run_worker` with a FakeReviewer."""
    from bot.app.logs import configure_logging
    from bot.app.pool import run_worker

    spec = json.loads(spec_json)
    configure_logging(level="WARNING")
    gate = (lambda: False) if spec["block"] else None
    reviewer = FakeReviewer(Path(spec["reviewer_db"]), gate=gate)
    run_worker(Settings(**spec["settings"]), reviewer=reviewer, workers=1, grace_s=spec["grace_s"])


def spawn_server(settings: Settings, *, reviewer_db: Path, port: int) -> subprocess.Popen[bytes]:
    """`run_server` (uvicorn + embedded workers) in a subprocess, logging JSON to stderr."""
    spec = {
        "settings": {k: v for k, v in settings.model_dump(mode="json").items() if v is not None},
        "reviewer_db": str(reviewer_db),
        "port": port,
    }
    return _spawn("server_main", spec)


def server_main(spec_json: str) -> None:
    from bot.app.logs import configure_logging
    from bot.app.main import run_server

    spec = json.loads(spec_json)
    settings = Settings(**spec["settings"])
    configure_logging(level="INFO", secrets=[settings.github_webhook_secret])
    reviewer = FakeReviewer(Path(spec["reviewer_db"]))
    run_server(
        settings, reviewer=reviewer, host="127.0.0.1", port=spec["port"], workers=1, grace_s=1.0
    )


def _spawn(entry: str, spec: dict[str, Any]) -> subprocess.Popen[bytes]:
    code = "import sys; sys.path.insert(0, sys.argv[1]); import tests.app.processes as c; "
    code += f"c.{entry}(sys.argv[2])"
    return subprocess.Popen(
        [sys.executable, "-c", code, str(ROOT), json.dumps(spec)],
        cwd=ROOT,  # so `bot` imports from this checkout even when not installed
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
