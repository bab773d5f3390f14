"""Waiting between failed attempts: capped exponential backoff with jitter, cut short by a stop."""

import asyncio
import logging
import random
from collections.abc import Callable
from contextlib import suppress

from services.domain.backoff import backoff_delay

log = logging.getLogger(__name__)


class Backoff:
    """Counts consecutive failures and waits longer after each (services.domain.fetch_policy.backoff_delay),
    until `succeeded()`; a set `stopping` event ends a wait at once."""

    def __init__(
        self,
        base_seconds: float,
        max_seconds: float,
        *,
        stopping: asyncio.Event | None = None,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._base = base_seconds
        self._cap = max_seconds
        self._stopping = stopping
        self._jitter = jitter
        self.failures = 0

    def next_delay(self) -> float:
        """The wait after one more failure; counts it."""
        delay = backoff_delay(self.failures, self._base, self._cap, self._jitter())
        self.failures += 1
        return delay

    async def wait(self, what: str, error: str, **context: object) -> bool:
        """Log `what` failed (one line per attempt) and wait; False when a stop came first."""
        delay = self.next_delay()
        extra = {**context, "error": error, "attempt": self.failures, "retry_in_seconds": round(delay, 3)}
        log.warning(what, extra=extra)
        return await self.pause(delay)

    async def pause(self, seconds: float) -> bool:
        """Sleep, or return early on a stop; False when stopped."""
        if self._stopping is None:
            await asyncio.sleep(seconds)
            return True
        with suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
        return not self._stopping.is_set()

    @property
    def stopped(self) -> bool:
        return self._stopping is not None and self._stopping.is_set()

    def succeeded(self) -> int:
        """An attempt worked: the next failure waits the shortest time again. Returns the failures before."""
        failures, self.failures = self.failures, 0
        return failures
