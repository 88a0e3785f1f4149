"""`review-bot` start-up checks, the real `serve` process end to end, and structured logs."""

from __future__ import annotations

import io
import json
import logging
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.app import main as app_main
from bot.app import pool as app_pool
from bot.app.logs import configure_logging, scrub
from bot.app.main import main
from tests import ROOT
from tests.app.helpers import (
    deliver,
    free_port,
    make_settings,
    payload,
    wait_for,
)
from tests.app.processes import spawn_server
from tests.fakes.reviewer import FakeReviewer
from tests.helpers.keys import app_private_key

APP_ENV = (
    "XAI_API_KEY",
    "GROK_REVIEW_API_KEY",
    "GITHUB_WEBHOOK_SECRET",
    "GITHUB_APP_ID",
    "GITHUB_APP_PRIVATE_KEY",
    "GROK_REVIEW_GITHUB_WEBHOOK_SECRET",
    "GROK_REVIEW_GITHUB_APP_ID",
    "GROK_REVIEW_GITHUB_APP_PRIVATE_KEY",
)
PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx1x2\nQk9QUw==\n-----END RSA PRIVATE KEY-----"
)
TOKEN = "ghs_" + "Zx9" * 12


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in APP_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GROK_REVIEW_DATA_DIR", str(tmp_path))
    return monkeypatch


# --- start-up checks -------------------------------------------------------------------------


def test_serve_without_secret_app_id_or_key_exits_2_with_one_line(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    for name in ("GITHUB_WEBHOOK_SECRET", "GITHUB_APP_ID", "GITHUB_APP_PRIVATE_KEY"):
        assert name in err


def test_serve_names_only_what_is_missing(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.setenv("GITHUB_APP_ID", "1")
    clean_env.setenv("GITHUB_APP_PRIVATE_KEY", app_private_key())
    clean_env.setenv("XAI_API_KEY", "xai-test-key")
    assert main(["serve"]) == 2
    assert (
        capsys.readouterr().err
        == "review-bot: missing GITHUB_WEBHOOK_SECRET (set in the environment)\n"
    )


def test_worker_does_not_need_the_webhook_secret(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.setenv("GITHUB_APP_PRIVATE_KEY", app_private_key())
    assert main(["worker"]) == 2
    err = capsys.readouterr().err
    assert "GITHUB_APP_ID" in err and "GITHUB_WEBHOOK_SECRET" not in err


@pytest.fixture
def app_env(clean_env: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Every credential `serve` needs, valid. Should a start-up check let a bad one through,
    the service would start and the test would hang: these stubs make it return instead."""
    clean_env.setattr(app_main, "run_server", lambda settings, **kw: None)
    clean_env.setattr(app_pool, "run_worker", lambda settings, **kw: None)
    clean_env.setenv("GITHUB_WEBHOOK_SECRET", "s3cret-value")
    clean_env.setenv("GITHUB_APP_ID", "1")
    clean_env.setenv("GITHUB_APP_PRIVATE_KEY", app_private_key())
    clean_env.setenv("XAI_API_KEY", "xai-test-key")
    return clean_env


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_no_model_key_is_refused_at_start(
    app_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    restore_logging: None,
    command: str,
) -> None:
    app_env.delenv("XAI_API_KEY")
    assert main([command]) == 2
    err = capsys.readouterr().err
    missing = "missing XAI_API_KEY (or GROK_REVIEW_API_KEY) (set in the environment)"
    assert err == f"review-bot: {missing}\n"
    app_env.setenv("GROK_REVIEW_BASE_URL", "http://127.0.0.1:8080/v1")  # a server of one's own
    assert main([command]) == 0


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_app_id_that_is_not_a_number_is_refused_at_start(
    app_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    app_env.setenv("GITHUB_APP_ID", "abc")
    assert main([command]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "GITHUB_APP_ID='abc' is not a number" in err


@pytest.mark.parametrize("inline", [True, False])
def test_private_key_that_is_not_a_pem_key_is_refused_at_start(
    app_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path, inline: bool
) -> None:
    not_a_key = PEM  # shaped like a key, but not one
    if inline:
        app_env.setenv("GITHUB_APP_PRIVATE_KEY", not_a_key)
    else:
        (tmp_path / "app.pem").write_text("this is the App's client secret, not its key\n")
        app_env.setenv("GITHUB_APP_PRIVATE_KEY", str(tmp_path / "app.pem"))
    assert main(["worker"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "GITHUB_APP_PRIVATE_KEY is not a valid RSA private key" in err
    assert "MIIEowIBAAKCAQEAx1x2" not in err


# Makes the App's extra unimportable, as after the small install (`pip install .`), then runs
# review-bot with the arguments given.
_SMALL_INSTALL = """
import sys

class _NotInstalled:
    blocked = {"fastapi", "starlette", "uvicorn", "huey", "redis", "prometheus_client"}

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in self.blocked:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, _NotInstalled())
from bot.app.main import main
sys.exit(main(sys.argv[1:]))
"""


def _small_install(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _SMALL_INSTALL, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_small_install_names_the_app_extra(
    app_env: pytest.MonkeyPatch, tmp_path: Path, command: str
) -> None:
    import os

    proc = _small_install(command, env=dict(os.environ))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "pip install 'grok-review[app]'" in proc.stderr
    assert f"review-bot {command}" in proc.stderr


@pytest.mark.parametrize("args", [["--help"], ["serve", "--help"], ["worker", "--help"]])
def test_small_install_help_works(args: list[str]) -> None:
    import os

    proc = _small_install(*args, env=dict(os.environ))
    assert proc.returncode == 0, proc.stderr
    assert "usage: review-bot" in proc.stdout


def test_unreadable_private_key_path_exits_2_with_one_line(
    app_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "nope.pem"
    app_env.setenv("GITHUB_APP_PRIVATE_KEY", str(missing))
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(missing) in err and "GITHUB_APP_PRIVATE_KEY" in err


def test_bad_port_variable_is_a_usage_error(
    app_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    clean_env = app_env
    clean_env.setenv("PORT", "http")
    # The reviewer factory is imported lazily; stub the module so the check after it runs.
    stub = type(sys)("bot.app.reviewer")
    stub.make_app_reviewer = lambda settings: object()  # type: ignore[attr-defined]
    clean_env.setitem(sys.modules, "bot.app.reviewer", stub)
    assert main(["serve"]) == 2
    assert capsys.readouterr().err == "review-bot: PORT='http' is not a port number\n"


def test_importing_the_cli_does_no_work() -> None:
    heavy = "('uvicorn', 'huey', 'fastapi', 'redis', 'prometheus_client')"
    code = f"import sys, bot.app.main; print(sorted(m for m in {heavy} if m in sys.modules))"
    repo = ROOT
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=repo
    )
    assert out.stdout.strip() == "[]"


# --- the real serve process ------------------------------------------------------------------


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[httpx.Client, subprocess.Popen[bytes], FakeReviewer]]:
    port = free_port()
    db = tmp_path / "reviewer.sqlite3"
    reviewer = FakeReviewer(db)
    proc = spawn_server(make_settings(tmp_path / "data"), reviewer_db=db, port=port)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            wait_for(lambda: _up(client), what="review-bot serve to listen")
            yield client, proc, reviewer
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _up(client: httpx.Client) -> bool:
    try:
        return client.get("/healthz").status_code == 200
    except httpx.TransportError:
        return False


def test_serve_reviews_with_embedded_workers_logs_json_and_stops_on_sigterm(
    served: tuple[httpx.Client, subprocess.Popen[bytes], FakeReviewer],
) -> None:
    client, proc, reviewer = served
    data = payload("pull_request.opened")
    assert deliver(client, "pull_request", data).status_code == 202
    wait_for(lambda: reviewer.posts(), what="embedded worker to post")
    assert client.get("/healthz").json() == {"status": "ok", "queue": "sqlite", "pending": 0}
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=15)
    assert proc.returncode == 0
    lines = stderr.decode().splitlines()
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    messages = {e["msg"] for e in entries}
    assert {"webhook delivery", "review started", "review finished"} <= messages
    assert any(e.get("outcome") == "queued" for e in entries)
    # Never the webhook body: neither the PR title nor its body text shows up.
    assert data["pull_request"]["title"] not in stderr.decode()
    assert [p["head"] for p in reviewer.posts()] == [data["pull_request"]["head"]["sha"]]


# --- logs ------------------------------------------------------------------------------------


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_logs_are_json_lines_with_extras_and_secrets_scrubbed(restore_logging: None) -> None:
    stream = io.StringIO()
    configure_logging(stream=stream, secrets=["my-webhook-secret-value"])
    log = logging.getLogger("bot.app.test")
    log.info("token %s in use", TOKEN, extra={"delivery": "d-1", "auth": f"Bearer {TOKEN}"})
    log.warning("key loaded:\n%s", PEM)
    log.info("secret is my-webhook-secret-value; url redis://:hunter2pass@cache:6379/0")
    try:
        raise RuntimeError(f"GitHub said 401 for Authorization: token {TOKEN}")
    except RuntimeError:
        log.exception("call failed")
    text = stream.getvalue()
    entries = [json.loads(line) for line in text.splitlines()]
    assert len(entries) == 4
    assert entries[0]["delivery"] == "d-1" and entries[0]["level"] == "info"
    assert entries[0]["logger"] == "bot.app.test" and entries[0]["ts"].endswith("Z")
    for secret in (TOKEN, "MIIEowIBAAKCAQEAx1x2", "my-webhook-secret-value", "hunter2pass"):
        assert secret not in text
    assert "[REDACTED PEM]" in entries[1]["msg"]
    assert "RuntimeError" in entries[3]["exc"] and "[REDACTED]" in entries[3]["exc"]


def test_logs_on_a_terminal_are_text(restore_logging: None) -> None:
    stream = _Tty()
    configure_logging(stream=stream)
    logging.getLogger("bot.app.test").info("hello", extra={"delivery": "d-2"})
    line = stream.getvalue().strip()
    assert "hello" in line and "delivery=d-2" in line
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("xai-" + "k" * 40, "[REDACTED] after"),
        ("sk-proj-" + "a" * 30, "[REDACTED] after"),
        ("github_pat_" + "B" * 40, "[REDACTED] after"),
        ("eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOjEyMzR9.c2lnbmF0dXJlLXZhbHVl", "[REDACTED] after"),
        ('api_key="abcdef123456"', 'api_key="[REDACTED]" after'),
        ("password=correct-horse", "password=[REDACTED] after"),
        ("-----BEGIN PRIVATE KEY-----\nMIIEvQ (cut off", "[REDACTED PEM]"),
    ],
)
def test_scrub_patterns(text: str, expected: str) -> None:
    cleaned = scrub(f"before {text} after")
    assert "REDACTED" in cleaned
    assert cleaned.startswith("before")
    # All of the secret goes, and nothing else: "REDACTED" somewhere would pass a partial cut.
    assert cleaned == f"before {expected}"


def test_scrub_keeps_ordinary_text() -> None:
    text = "prompt_tokens=1200 completion_tokens=80 for Codertocat/Hello-World#2 at ec26c3e5"
    assert scrub(text) == text
