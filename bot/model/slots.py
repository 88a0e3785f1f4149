"""How many requests may be in flight: a limit a run can lower while requests are out."""

from __future__ import annotations

import asyncio


class Slots:
    """At most `limit` holders at once (async with). Lowering the limit lets those inside
    finish; nobody new enters until the count is under the new limit."""

    def __init__(self, limit: int) -> None:
        self.limit = max(limit, 1)
        self._held = 0
        self._changed: asyncio.Condition | None = None  # made inside the running loop

    def _condition(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    async def __aenter__(self) -> None:
        changed = self._condition()
        async with changed:
            await changed.wait_for(lambda: self._held < self.limit)
            self._held += 1

    async def __aexit__(self, *exc: object) -> None:
        changed = self._condition()
        async with changed:
            self._held -= 1
            changed.notify_all()

    def lower_to(self, limit: int) -> bool:
        """Lower the limit; False when it already was that low (nothing changed)."""
        if self.limit <= limit:
            return False
        self.limit = max(limit, 1)
        return True
