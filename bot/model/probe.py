"""Noticing a model server that went away while a request waits for its answer."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import TypeVar
from urllib.parse import urlsplit

T = TypeVar("T")
FAILED_PROBES = 2  # one refused connection can be a restart; two in a row is a server gone


class ServerGone(Exception):
    """The server stopped accepting connections while a request was in flight."""


class Liveness:
    """Checks, while requests are in flight, that the server still accepts connections.

    A request answers nothing until its whole reply is written, so a read timeout cannot
    tell a slow answer from a server that stopped (llama-server, stopped gracefully, keeps
    the in-flight connection open and never answers it). A server that stops closes its
    listening socket, though: every `interval_s` a plain TCP connect to the base URL's host
    and port is tried, and after two failures in a row the request is abandoned.

    Only a server that accepted such a connection at least once is ever judged gone, so a
    route the probe cannot take (an HTTP proxy, a firewall) only means no probing.
    """

    def __init__(self, base_url: str, *, interval_s: float, connect_timeout_s: float) -> None:
        parts = urlsplit(base_url)
        default_port = 443 if parts.scheme == "https" else 80
        self._host = parts.hostname or ""
        try:
            self._port = parts.port or default_port
        except ValueError:  # a malformed port: the request itself will say so
            self._host = ""
            self._port = default_port
        self._interval_s = interval_s
        self._connect_timeout_s = connect_timeout_s
        self._seen_listening = False

    @property
    def interval_s(self) -> float:
        """Seconds between probes; 0 when this server is not probed."""
        return self._interval_s if self._host else 0

    async def guard(self, call: Awaitable[T]) -> T:
        """`await call`, abandoned with ServerGone when the server stops listening."""
        if self.interval_s <= 0:
            return await call
        task = asyncio.ensure_future(call)
        watch = asyncio.ensure_future(self._watch())
        try:
            await asyncio.wait({task, watch}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not task.done():
                task.cancel()
            watch.cancel()
            await asyncio.gather(task, watch, return_exceptions=True)
        if not task.cancelled():
            return task.result()  # the answer, or the request's own exception
        if watch.done() and not watch.cancelled() and watch.exception() is None:
            raise ServerGone(f"the model server at {self._host}:{self._port} stopped listening")
        raise asyncio.CancelledError  # cancelled from outside: pass it on

    async def _watch(self) -> None:
        """Returns only when the server has refused FAILED_PROBES connections in a row."""
        failures = 0
        if not self._seen_listening:  # learn at once whether probes get through at all
            self._seen_listening = await self._listening()
        while failures < FAILED_PROBES:
            await asyncio.sleep(self._interval_s)
            if await self._listening():
                self._seen_listening, failures = True, 0
            elif self._seen_listening:
                failures += 1

    async def _listening(self) -> bool:
        try:
            _, writer = await asyncio.wait_for(
                asyncio.open_connection(self._host, self._port), self._connect_timeout_s
            )
        except (OSError, TimeoutError):
            return False
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return True
