"""The client-side rate limiter and retry waits, on a fake clock (no real waiting)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from bot.model.ratelimit import RateLimiter, backoff_s, retry_after_s, retry_wait_s


class FakeClock:
    """A clock whose sleep advances time instead of waiting."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def limiter(rpm: int, tpm: int, clock: FakeClock) -> RateLimiter:
    return RateLimiter(rpm, tpm, clock=clock, sleep=clock.sleep)


def test_requests_per_minute_wait_for_the_oldest_to_leave_the_window() -> None:
    clock = FakeClock()
    lim = limiter(2, 1_000_000, clock)

    async def go() -> list[float]:
        first = await lim.acquire(10)
        clock.now += 15
        second = await lim.acquire(10)
        third = await lim.acquire(10)  # must wait until the first is 60 s old
        return [first, second, third]

    assert asyncio.run(go()) == [0.0, 0.0, 45.0]
    assert clock.now == 1060.0
    assert lim.in_window == (2, 20)


def test_tokens_per_minute_wait_until_enough_tokens_expire() -> None:
    clock = FakeClock()
    lim = limiter(100, 1000, clock)

    async def go() -> float:
        await lim.acquire(600)
        clock.now += 10
        await lim.acquire(300)
        clock.now += 10
        return await lim.acquire(500)  # 1400 > 1000: the 600 must expire (at t=60)

    assert asyncio.run(go()) == 40.0
    assert lim.in_window == (2, 800)


def test_waits_until_both_requests_and_tokens_fit() -> None:
    clock = FakeClock()
    lim = limiter(3, 1000, clock)

    async def go() -> float:
        for tokens, gap in ((100, 5), (800, 5), (50, 5)):
            await lim.acquire(tokens)
            clock.now += gap
        # rpm needs one to leave (t=60); tpm (950 + 200) needs the 100 and the 800 (t=65)
        return await lim.acquire(200)

    assert asyncio.run(go()) == 50.0


def test_a_request_bigger_than_tpm_goes_alone_in_an_empty_window() -> None:
    clock = FakeClock()
    lim = limiter(10, 100, clock)

    async def go() -> tuple[float, float]:
        alone = await lim.acquire(5000)
        after = await lim.acquire(1)
        return alone, after

    assert asyncio.run(go()) == (0.0, 60.0)


def test_old_requests_leave_the_window() -> None:
    clock = FakeClock()
    lim = limiter(1, 1000, clock)

    async def go() -> float:
        await lim.acquire(1)
        clock.now += 60
        return await lim.acquire(1)

    assert asyncio.run(go()) == 0.0
    assert clock.sleeps == []


def test_waiters_are_served_in_arrival_order() -> None:
    clock = FakeClock()
    lim = limiter(1, 1000, clock)
    order: list[int] = []

    async def one(i: int) -> None:
        await lim.acquire(1)
        order.append(i)

    async def go() -> None:
        await asyncio.gather(*(one(i) for i in range(4)))

    asyncio.run(go())
    assert order == [0, 1, 2, 3]
    assert clock.now == 1180.0  # one request per 60 s window


def test_invalid_limits_are_rejected() -> None:
    with pytest.raises(ValueError):
        RateLimiter(0, 10)


# --- retry waits ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "3"}, 3.0),
        ({"retry-after": "0"}, 0.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after": "-4"}, 0.0),
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
)
def test_retry_after_forms(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after_s(headers, now=0.0) == expected


def test_retry_after_http_date() -> None:
    now = datetime(2026, 11, 3, 12, 0, 0, tzinfo=UTC)
    later = format_datetime(datetime(2026, 11, 3, 12, 0, 42, tzinfo=UTC), usegmt=True)
    assert retry_after_s({"retry-after": later}, now=now.timestamp()) == 42.0
    earlier = format_datetime(datetime(2026, 11, 3, 11, 0, 0, tzinfo=UTC), usegmt=True)
    assert retry_after_s({"retry-after": earlier}, now=now.timestamp()) == 0.0


def test_backoff_is_exponential_with_full_jitter_and_capped() -> None:
    assert backoff_s(0, base=1.0, cap=60.0, rand=lambda: 1.0) == 1.0
    assert backoff_s(3, base=1.0, cap=60.0, rand=lambda: 1.0) == 8.0
    assert backoff_s(10, base=1.0, cap=60.0, rand=lambda: 1.0) == 60.0
    assert backoff_s(3, base=1.0, cap=60.0, rand=lambda: 0.25) == 2.0
    assert backoff_s(3, base=1.0, cap=60.0, rand=lambda: 0.0) == 0.0


def test_retry_wait_prefers_the_server_hint_up_to_the_cap() -> None:
    def wait(headers: dict[str, str]) -> float:
        return retry_wait_s(2, headers=headers, base=1.0, cap=30.0, now=0.0, rand=lambda: 0.5)

    assert wait({"retry-after": "7"}) == 7.0
    assert wait({"retry-after": "300"}) == 30.0
    assert wait({}) == 2.0  # 0.5 * 1.0 * 2**2
