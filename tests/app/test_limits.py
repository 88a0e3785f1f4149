"""`review-bot serve` under unauthenticated load, against the real app under uvicorn: the
budget for unverified bodies, the body and header deadlines, the connection limit, keep-alive."""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from bot.app.serving import server_options
from bot.app.web import BodyBudget, create_app
from bot.settings import Settings
from tests.app.helpers import ThreadServer, make_settings, opened_queue, signed, wait_for

MB = 1024 * 1024
PING = json.dumps({"zen": "Keep it logically awesome.", "hook_id": 1}).encode()


@contextlib.contextmanager
def serve(tmp_path: Path, **overrides: Any) -> Iterator[httpx.Client]:
    """The web app under uvicorn with the limits `review-bot serve` uses."""
    settings: Settings = make_settings(tmp_path, **overrides)
    with opened_queue(settings) as queue:
        app = create_app(settings, queue=queue, reviewer=None)
        with ThreadServer(app, **server_options(settings)).running() as client:
            yield client


def connect(client: httpx.Client) -> socket.socket:
    return socket.create_connection((client.base_url.host, client.base_url.port), timeout=5)


def head(length: int, *, event: str = "ping") -> bytes:
    return (
        f"POST /webhook HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: {event}\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


def reply_of(sock: socket.socket) -> str:
    """What the server sent until it closed the connection (or 5 s passed)."""
    data = b""
    with contextlib.suppress(TimeoutError, ConnectionResetError):
        while chunk := sock.recv(65536):
            data += chunk
    return data.decode(errors="replace")


def status_line(sock: socket.socket) -> str:
    """The first line of the server's answer (without waiting for the connection to close)."""
    data = b""
    while b"\r\n" not in data and (chunk := sock.recv(65536)):
        data += chunk
    return data.split(b"\r\n", 1)[0].decode()


def ping(client: httpx.Client) -> int:
    return client.post("/webhook", content=PING, headers=signed(PING, "ping")).status_code


def test_unverified_bodies_in_flight_are_capped_across_requests(tmp_path: Path) -> None:
    with serve(tmp_path, webhook_buffer_mb=1) as client:
        slow = connect(client)
        slow.sendall(head(700_000) + b" " * 1000)  # holds 700 KB of the 1 MB budget
        time.sleep(0.2)
        with connect(client) as second:
            # Refused from its headers alone: nothing of its body was read or buffered.
            second.sendall(head(700_000))
            assert reply_of(second).startswith("HTTP/1.1 503")
        chunked = client.post("/webhook", content=iter([b" " * 400_000] * 2))
        assert chunked.status_code == 503 and chunked.headers["retry-after"] == "1"
        assert ping(client) == 200  # small signed deliveries still fit
        slow.sendall(b" " * 699_000)
        assert status_line(slow).startswith("HTTP/1.1 401")  # read whole, then refused
        slow.close()
        # The budget was given back: a body as big as the first one fits again.
        big = client.post("/webhook", content=b" " * 700_000, headers={"X-GitHub-Event": "x"})
        assert big.status_code == 401


def test_budget_arithmetic() -> None:
    budget = BodyBudget(10)
    assert budget.take(6) and not budget.take(5) and budget.take(4)
    budget.give(10)
    assert budget.used == 0 and budget.take(10)


def test_a_body_that_does_not_arrive_in_time_gets_408(tmp_path: Path) -> None:
    with serve(tmp_path, webhook_body_timeout_s=0.5) as client, connect(client) as sock:
        started = time.monotonic()
        sock.sendall(head(1_000_000) + b"{" * 100)  # and then nothing more
        assert reply_of(sock).startswith("HTTP/1.1 408")
        assert time.monotonic() - started < 4.5
        assert ping(client) == 200


def test_headers_that_do_not_arrive_in_time_close_the_connection(tmp_path: Path) -> None:
    with serve(tmp_path, http_header_timeout_s=0.5) as client, connect(client) as sock:
        started = time.monotonic()
        sock.sendall(b"POST /webhook HTTP/1.1\r\nHost: x\r\n")  # never finished
        assert reply_of(sock) == ""  # closed without an answer
        assert time.monotonic() - started < 4.5


def test_connections_past_the_limit_get_503_until_slow_ones_are_dropped(tmp_path: Path) -> None:
    options = {"http_max_connections": 3, "http_header_timeout_s": 1.0}
    with serve(tmp_path, **options) as client:
        idle = [connect(client) for _ in range(3)]
        for sock in idle:
            sock.sendall(b"GET /healthz HTTP/1.1\r\n")  # headers never finished
        time.sleep(0.2)
        with httpx.Client(base_url=str(client.base_url), timeout=5) as fresh:
            assert fresh.get("/healthz").status_code == 503  # uvicorn's limit_concurrency
            # Once the header deadline closes the slow connections, deliveries get through.
            wait_for(lambda: fresh.get("/healthz").status_code == 200, what="slots freed")
            assert fresh.post("/webhook", content=PING, headers=signed(PING, "ping")).is_success
        for sock in idle:
            assert reply_of(sock) == ""
            sock.close()


def test_idle_keep_alive_connections_are_closed(tmp_path: Path) -> None:
    with serve(tmp_path, http_keep_alive_s=1) as client, connect(client) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        started = time.monotonic()
        assert reply_of(sock).startswith("HTTP/1.1 200")  # then closed after the keep-alive
        assert time.monotonic() - started < 4.5


def test_serve_passes_the_limits_to_uvicorn() -> None:
    settings = Settings(http_max_connections=50, http_keep_alive_s=7, http_header_timeout_s=3)
    options = server_options(settings)
    assert options["limit_concurrency"] == 50 and options["timeout_keep_alive"] == 7
    defaults = Settings()
    assert (defaults.webhook_buffer_mb, defaults.webhook_body_timeout_s) == (100, 10.0)
    assert (defaults.http_max_connections, defaults.http_keep_alive_s) == (200, 5)
