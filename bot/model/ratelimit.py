"""Client-side requests/tokens-per-minute limiter and retry waits; clock and sleep injectable."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC
from email.utils import parsedate_to_datetime

WINDOW_S = 60.0

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class RateLimiter:
    """Waits before a request until the last minute's requests and tokens leave room for it.

    A sliding window rather than a token bucket: the provider counts per minute, and a
    window never lets a burst exceed `rpm` within any 60 s, which a refilled bucket can.
    Waiters are served first come, first served (one lock), so chunk order is kept.
    """

    def __init__(
        self,
        rpm: int,
        tpm: int,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        window_s: float = WINDOW_S,
    ) -> None:
        if rpm < 1 or tpm < 1:
            raise ValueError("rpm and tpm must be at least 1")
        self.rpm = rpm
        self.tpm = tpm
        self._clock = clock
        self._sleep = sleep
        self._window = window_s
        self._sent: deque[tuple[float, int]] = deque()  # (time, tokens), oldest first
        self._tokens = 0
        self._lock = asyncio.Lock()

    @property
    def in_window(self) -> tuple[int, int]:
        """(requests, tokens) counted in the current window."""
        self._prune(self._clock())
        return len(self._sent), self._tokens

    async def acquire(self, estimated_tokens: int) -> float:
        """Wait until a request of `estimated_tokens` fits, record it; returns seconds waited."""
        tokens = max(int(estimated_tokens), 0)
        waited = 0.0
        async with self._lock:
            while True:
                now = self._clock()
                delay = self.delay_for(tokens, now=now)
                if delay <= 0:
                    self._sent.append((now, tokens))
                    self._tokens += tokens
                    return waited
                await self._sleep(delay)
                waited += delay

    def delay_for(self, tokens: int, *, now: float) -> float:
        """Seconds until a request of `tokens` fits the window (0 = now). Pure given `now`."""
        self._prune(now)
        if not self._sent:
            # A request bigger than the whole per-minute allowance still has to go out
            # eventually; alone in an empty window is the best it can get.
            return 0.0
        over_requests = len(self._sent) + 1 - self.rpm
        over_tokens = self._tokens + tokens - self.tpm
        if over_requests <= 0 and over_tokens <= 0:
            return 0.0
        # Find the oldest entry whose expiry frees both enough requests and enough tokens.
        freed_tokens = 0
        for count, (sent_at, used) in enumerate(self._sent, start=1):
            freed_tokens += used
            if count >= over_requests and freed_tokens >= over_tokens:
                return sent_at + self._window - now  # > 0: expired entries are pruned
        return self._sent[-1][0] + self._window - now

    def _prune(self, now: float) -> None:
        while self._sent and self._sent[0][0] + self._window <= now:
            _, used = self._sent.popleft()
            self._tokens -= used


# --- retry waits --------------------------------------------------------------------------


def retry_after_s(headers: Mapping[str, str], *, now: float) -> float | None:
    """The server's requested wait in seconds, from `retry-after-ms` or `retry-after`.

    `retry-after` may be seconds or an HTTP date; `now` is the wall clock (epoch seconds) the
    date is compared with. None when absent or unreadable.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    millis = lowered.get("retry-after-ms")
    if millis is not None:
        try:
            return max(float(millis) / 1000, 0.0)
        except ValueError:
            pass
    value = lowered.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT
        when = when.replace(tzinfo=UTC)
    return max(when.timestamp() - now, 0.0)


def backoff_s(attempt: int, *, base: float, cap: float, rand: Callable[[], float]) -> float:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base * 2**attempt)]."""
    return rand() * min(cap, base * 2.0 ** max(attempt, 0))


def retry_wait_s(
    attempt: int,
    *,
    headers: Mapping[str, str],
    base: float,
    cap: float,
    now: float,
    rand: Callable[[], float],
) -> float:
    """How long to wait before retry number `attempt` (0-based): the server's hint, else backoff.

    A hint is honoured up to `cap`; past that another attempt costs at most one more error,
    while waiting the full hint could stall a review for minutes.
    """
    hinted = retry_after_s(headers, now=now)
    if hinted is not None:
        return min(hinted, cap)
    return backoff_s(attempt, base=base, cap=cap, rand=rand)
