"""`review-bot serve|worker`: the GitHub App web service and its extra workers."""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import signal
import sys
import threading
from types import FrameType
from typing import TYPE_CHECKING

from bot.errors import ConfigError, UsageError, exit_code_of

if TYPE_CHECKING:
    from bot.app.jobs import Reviewer
    from bot.settings import Settings

log = logging.getLogger(__name__)

# What `pip install 'grok-review[app]'` adds to the small install (CLI and Action).
APP_EXTRA_MODULES = ("fastapi", "uvicorn", "huey", "redis", "prometheus_client")
APP_EXTRA_HINT = "pip install 'grok-review[app]'"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="review-bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="web app (POST /webhook) with embedded workers")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=None, help="default $PORT or 8000")
    serve.add_argument("--workers", type=int, default=2, help="embedded job threads")
    worker = sub.add_parser("worker", help="extra worker process (no web)")
    worker.add_argument("--workers", type=int, default=1, help="job threads")
    worker.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        help="serve GET /metrics and /healthz on this port (default $GROK_REVIEW_METRICS_PORT; "
        "unset: off)",
    )
    worker.add_argument("--metrics-host", default="127.0.0.1", help="address of the metrics server")
    for command in (serve, worker):
        command.add_argument(
            "--grace-s",
            type=float,
            default=None,
            help="SIGTERM: wait this long for running jobs (default $GROK_REVIEW_SHUTDOWN_GRACE_S "
            "or 25)",
        )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return exit_code_of(
        lambda: _run(args), on_error=lambda exc: print(f"review-bot: {exc}", file=sys.stderr)
    )


def require_app_extra(command: str) -> None:
    """The App's own dependencies are an extra: without them, say how to get them (exit 2)."""
    missing = [name for name in APP_EXTRA_MODULES if not _importable(name)]
    if missing:
        raise UsageError(
            f"{command} needs the App's dependencies ({', '.join(missing)} not installed): "
            f"{APP_EXTRA_HINT}"
        )


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def require_app_settings(settings: Settings, *, serve: bool) -> None:
    """Refuse to start without usable credentials, in one line: every missing variable is
    named, and the App ID and private key are tried (a job would only fail later)."""
    from bot.github.auth import app_auth

    wanted = [
        ("GITHUB_WEBHOOK_SECRET", settings.github_webhook_secret if serve else "-"),
        ("GITHUB_APP_ID", settings.github_app_id),
        ("GITHUB_APP_PRIVATE_KEY", settings.github_app_private_key),
        # A server of one's own (GROK_REVIEW_BASE_URL) may take no key; xAI's API needs one.
        ("XAI_API_KEY (or GROK_REVIEW_API_KEY)", settings.api_key or not settings.key_required),
    ]
    missing = [name for name, value in wanted if not value]
    if missing:
        raise ConfigError(f"missing {', '.join(missing)} (set in the environment)")
    pem = settings.private_key_pem  # a ConfigError when the key path is unreadable
    assert settings.github_app_id is not None and pem is not None
    app_auth(settings.github_app_id, pem)


def _run(args: argparse.Namespace) -> int:
    require_app_extra(f"review-bot {args.command}")
    from bot.app.logs import configure_logging
    from bot.app.pool import run_worker
    from bot.settings import load_settings

    if args.workers < 1:
        raise UsageError("--workers must be at least 1")
    if args.grace_s is not None and args.grace_s < 0:
        raise UsageError("--grace-s must not be negative")
    worker = args.command == "worker"
    if worker and args.metrics_port is not None and not 0 < args.metrics_port < 65536:
        raise UsageError(f"--metrics-port {args.metrics_port} is not a port number")
    # The flag wins over GROK_REVIEW_METRICS_PORT; None leaves the environment's value.
    metrics_port = args.metrics_port if worker else None
    settings = load_settings(
        names={"metrics_port": f"--metrics-port {metrics_port}"}, metrics_port=metrics_port
    )
    require_app_settings(settings, serve=not worker)
    configure_logging(
        secrets=[settings.github_webhook_secret, settings.api_key, settings.github_token]
    )
    reviewer = _make_reviewer(settings)
    if worker:
        run_worker(
            settings,
            reviewer=reviewer,
            workers=args.workers,
            grace_s=args.grace_s,
            metrics_host=args.metrics_host,
        )
        return 0
    port = args.port if args.port is not None else _env_port()
    run_server(
        settings,
        reviewer=reviewer,
        host=args.host,
        port=port,
        workers=args.workers,
        grace_s=args.grace_s,
    )
    return 0


def run_server(
    settings: Settings,
    *,
    reviewer: Reviewer | None,
    host: str,
    port: int,
    workers: int = 2,
    grace_s: float | None = None,
) -> None:
    """uvicorn with the app; the embedded job threads start and stop with it."""
    import uvicorn

    from bot.app.queue import open_queue
    from bot.app.serving import server_options
    from bot.app.web import create_app

    queue = open_queue(settings)
    try:
        queue.store.ping()  # fail at start, in one line, when Redis or the data dir is unusable
        app = create_app(
            settings,
            queue=queue,
            reviewer=reviewer,
            workers=workers,
            grace_s=grace_s,
        )
        log.info("serving", extra={"host": host, "port": port, "queue": queue.kind})
        if threading.current_thread() is threading.main_thread():
            # uvicorn re-raises SIGTERM after its graceful shutdown; make that a clean exit.
            signal.signal(signal.SIGTERM, _exit_cleanly)
        # log_config=None: uvicorn's loggers go through our JSON handler and scrubber.
        uvicorn.run(app, host=host, port=port, log_config=None, **server_options(settings))
    finally:
        queue.close()


def _exit_cleanly(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def _make_reviewer(settings: Settings) -> Reviewer:
    try:
        from bot.app.reviewer import make_app_reviewer
    except ImportError as exc:
        raise ConfigError(f"the review engine cannot be loaded: {exc}") from None

    reviewer: Reviewer = make_app_reviewer(settings)
    return reviewer


def _env_port() -> int:
    value = os.environ.get("PORT", "8000")
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise UsageError(f"PORT={value!r} is not a port number")
    return int(value)
