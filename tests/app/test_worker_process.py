"""`review-bot worker` as a process: poll and grace settings, flags, and its /metrics server."""

from __future__ import annotations

import logging
import socket
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import pool as pool_module
from bot.app.jobs import ReviewJob
from bot.app.main import main
from bot.app.metrics import Metrics
from bot.app.metrics_http import MetricsServer
from bot.app.pool import run_worker
from bot.app.queue import open_queue
from bot.errors import ConfigError
from bot.settings import Settings, load_settings
from tests.app.helpers import free_port, make_settings, opened_queue, wait_for
from tests.fakes.reviewer import FakeReviewer
from tests.helpers.keys import app_private_key


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """What `review-bot worker` needs to start, with the review engine stubbed out."""
    monkeypatch.setenv("GROK_REVIEW_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GITHUB_APP_ID", "1")
    monkeypatch.setenv("GITHUB_APP_PRIVATE_KEY", app_private_key())
    monkeypatch.setenv("XAI_API_KEY", "xai-test-key")
    stub = type(sys)("bot.app.reviewer")
    stub.make_app_reviewer = lambda settings: object()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "bot.app.reviewer", stub)
    return monkeypatch


@pytest.fixture
def started(app_env: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """Calls main() would have made to run_worker (which would block)."""
    calls: list[dict[str, Any]] = []
    app_env.setattr(
        pool_module, "run_worker", lambda settings, **kw: calls.append(kw | {"s": settings})
    )
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield calls
    root.handlers[:] = handlers  # main() installs its JSON handler on the root logger
    root.setLevel(level)


# --- settings and flags ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value", "key"),
    [
        ("GROK_REVIEW_JOB_TIMEOUT_S", "0", "job_timeout_s"),
        ("GROK_REVIEW_POLL_S", "0", "poll_s"),
        ("GROK_REVIEW_SHUTDOWN_GRACE_S", "-1", "shutdown_grace_s"),
        ("GROK_REVIEW_METRICS_PORT", "70000", "metrics_port"),
        ("GROK_REVIEW_METRICS_PORT", "x", "metrics_port"),
    ],
)
def test_bad_worker_setting_is_exit_2_naming_the_key(
    app_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variable: str,
    value: str,
    key: str,
) -> None:
    app_env.setenv(variable, value)
    assert main(["worker"]) == 2
    err = capsys.readouterr().err
    # Named as the user set it: the variable, not the internal key.
    assert err.count("\n") == 1 and f"{variable}: must be" in err and "Traceback" not in err
    assert f"'{key}'" not in err


def test_worker_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in (("JOB_TIMEOUT_S", "90"), ("POLL_S", "2"), ("SHUTDOWN_GRACE_S", "5")):
        monkeypatch.setenv(f"GROK_REVIEW_{name}", value)
    monkeypatch.setenv("GROK_REVIEW_METRICS_PORT", "9100")
    s = load_settings()
    assert (s.job_timeout_s, s.poll_s, s.shutdown_grace_s, s.metrics_port) == (90, 2, 5, 9100)


def test_defaults_keep_the_old_behaviour(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path)
    assert (s.job_timeout_s, s.poll_s, s.shutdown_grace_s, s.metrics_port) == (1800, None, 25, None)
    queue = open_queue(s)
    try:
        assert queue.poll_s == 0.5  # min(heartbeat_s, 0.5), as before the setting existed
    finally:
        queue.close()


def test_poll_setting_drives_the_consumer(tmp_path: Path) -> None:
    with opened_queue(make_settings(tmp_path, poll_s=0.2)) as queue:
        consumer = queue.consumer(workers=1)
        assert queue.poll_s == 0.2 and consumer._create_scheduler().interval == 0.2


def test_flags_override_the_environment(
    started: list[dict[str, Any]], app_env: pytest.MonkeyPatch
) -> None:
    app_env.setenv("GROK_REVIEW_METRICS_PORT", "9100")
    app_env.setenv("GROK_REVIEW_SHUTDOWN_GRACE_S", "7")
    assert main(["worker"]) == 0
    argv = ["worker", "--metrics-port", "9200", "--metrics-host", "::1", "--grace-s", "3"]
    assert main(argv) == 0
    env, flags = started
    assert (env["s"].metrics_port, env["grace_s"], env["metrics_host"]) == (9100, None, "127.0.0.1")
    assert env["s"].shutdown_grace_s == 7  # run_worker falls back to it when grace_s is None
    assert (flags["s"].metrics_port, flags["grace_s"], flags["metrics_host"]) == (9200, 3, "::1")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["worker", "--metrics-port", "0"], "--metrics-port 0 is not a port number"),
        (["worker", "--grace-s", "-1"], "--grace-s must not be negative"),
    ],
)
def test_bad_flags_are_usage_errors(
    started: list[dict[str, Any]], capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(argv) == 2
    assert capsys.readouterr().err == f"review-bot: {message}\n"
    assert started == []


def test_shutdown_grace_setting_bounds_the_wait_for_running_jobs(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", shutdown_grace_s=0.1)
    stuck = FakeReviewer(tmp_path / "reviewer.sqlite3", gate=lambda: False)
    delivery = _enqueue(settings)
    stop = threading.Event()
    thread = threading.Thread(
        target=run_worker, args=(settings,), kwargs={"reviewer": stuck, "stop": stop}
    )
    thread.start()
    with opened_queue(settings) as queue:
        wait_for(lambda: queue.store.get(delivery).state == "running", what="job start")  # type: ignore[union-attr]
        stop.set()
        thread.join(timeout=5)  # the default grace (25 s) would still be waiting here
        assert not thread.is_alive()
        assert queue.store.get(delivery).state == "queued"  # type: ignore[union-attr]


def _enqueue(settings: Settings, head: str = "a" * 40) -> str:
    job = ReviewJob(str(uuid.uuid4()), None, "o/r", 1, head, "auto")
    with opened_queue(settings) as queue:
        queue.store.accept(job)
        queue.submit(job.delivery_id)
    return job.delivery_id


# --- the metrics server ----------------------------------------------------------------------


@pytest.fixture
def metrics_server(tmp_path: Path) -> Iterator[tuple[httpx.Client, Any]]:
    with opened_queue(make_settings(tmp_path)) as queue:
        metrics = Metrics(store=queue.store, queue=queue)
        server = MetricsServer(metrics, queue, host="127.0.0.1", port=0, poll_s=0.01)
        server.start()
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{server.port}", timeout=5) as client:
                yield client, queue
        finally:
            server.stop()


def test_metrics_server_serves_metrics_health_and_404(
    metrics_server: tuple[httpx.Client, Any],
) -> None:
    client, queue = metrics_server
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    for name in ("grok_review_queue_depth 0.0", 'grok_review_jobs{state="queued"} 0.0'):
        assert name in response.text
    assert "grok_review_jobs_timed_out_total 0.0" in response.text
    assert client.get("/healthz").json() == {"status": "ok", "queue": "sqlite", "pending": 0}
    assert client.get("/other").status_code == 404
    queue.store.close()
    assert client.get("/healthz").status_code == 503


def test_metrics_port_in_use_is_a_config_error(tmp_path: Path) -> None:
    with socket.socket() as taken, opened_queue(make_settings(tmp_path)) as queue:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=f"cannot listen on 127.0.0.1:{port}"):
            MetricsServer(Metrics(), queue, host="127.0.0.1", port=port, poll_s=0.01)


def test_worker_serves_the_same_metrics_as_the_web_process_while_it_runs(tmp_path: Path) -> None:
    port = free_port()
    settings = make_settings(tmp_path / "data", metrics_port=port)
    reviewer = FakeReviewer(tmp_path / "reviewer.sqlite3", cost_usd=0.1)
    delivery = _enqueue(settings)
    stop = threading.Event()
    thread = threading.Thread(
        target=run_worker, args=(settings,), kwargs={"reviewer": reviewer, "stop": stop}
    )
    thread.start()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            text = wait_for(lambda: _scrape_after_post(client), what="a finished job in /metrics")
            health = client.get("/healthz")
    finally:
        stop.set()
        thread.join(timeout=10)
    assert health.status_code == 200 and health.json()["queue"] == "sqlite"
    assert 'grok_review_jobs{state="done"} 1.0' in text
    assert "grok_review_model_cost_usd_total 0.1" in text
    assert not thread.is_alive() and reviewer.posts()[0]["delivery"] == delivery
    with pytest.raises(httpx.ConnectError):  # stopped with the worker
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=1)


def _scrape_after_post(client: httpx.Client) -> str | None:
    try:
        text = client.get("/metrics").text
    except httpx.TransportError:
        return None  # not listening yet
    return text if 'grok_review_jobs_finished_total{status="posted"} 1.0' in text else None
