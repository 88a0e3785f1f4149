"""Health check, and the small HTTP server `review-bot worker` uses for /metrics and /healthz."""

from __future__ import annotations

import json
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST

from bot.app.store import StoreError
from bot.errors import ConfigError

if TYPE_CHECKING:
    from bot.app.metrics import Metrics
    from bot.app.queue import JobQueue

log = logging.getLogger(__name__)

# A scraper that stops sending mid-request must not hold the (single) server thread for long.
_REQUEST_TIMEOUT_S = 10.0


def health(queue: JobQueue) -> tuple[int, dict[str, Any]]:
    """GET /healthz of both processes: 200 when the store takes a write and answers a read
    and the queue answers, else 503."""
    try:
        queue.store.ping()  # a write probe: reads alone say ok while deliveries get 503
        pending = queue.store.counts().get("queued", 0)
        queue.depth()
    except StoreError as exc:
        return 503, {"status": "unavailable", "queue": queue.kind, "error": str(exc)}
    return 200, {"status": "ok", "queue": queue.kind, "pending": pending}


class MetricsServer:
    """GET /metrics (Prometheus text) and GET /healthz on host:port, from one daemon thread.

    One thread on purpose: the SQLite store opens a connection per thread and keeps it until
    it is closed, so a thread per scrape would leak one connection per scrape.
    """

    def __init__(
        self, metrics: Metrics, queue: JobQueue, *, host: str, port: int, poll_s: float
    ) -> None:
        server_class = _Server6 if ":" in host else HTTPServer
        try:
            self._httpd = server_class((host, port), _handler(metrics, queue))
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise ConfigError(f"metrics server cannot listen on {host}:{port}: {reason}") from None
        self.host = host
        self.port = int(self._httpd.server_address[1])
        # serve_forever checks for shutdown every poll_s, so stop() returns that quickly.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": poll_s},
            name="metrics-http",
            daemon=True,
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._httpd.shutdown()
            self._thread.join()
        self._httpd.server_close()


class _Server6(HTTPServer):
    address_family = socket.AF_INET6


def _handler(metrics: Metrics, queue: JobQueue) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        timeout = _REQUEST_TIMEOUT_S

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                self._send(200, metrics.render(), CONTENT_TYPE_LATEST)
            elif path == "/healthz":
                status, body = health(queue)
                self._send(status, json.dumps(body).encode(), "application/json")
            else:
                self._send(404, b'{"detail": "Not Found"}', "application/json")

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("metrics request", extra={"request": format % args})

    return Handler
