"""Per-host politeness: requests to one host start at least a minimum interval apart."""

import asyncio
import time
from collections.abc import Awaitable, Callable

from services.domain.sources.fetching import rate_limit_wait


class HostRateLimiter:
    """Serialises request starts per host; different hosts never wait for each other."""

    def __init__(
        self,
        min_interval: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._min_interval = min_interval
        self._clock = clock
        self._sleep = sleep
        self._last_start: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def wait(self, host: str) -> None:
        """Return when a request to `host` may start, and record that it starts now."""
        async with self._locks.setdefault(host, asyncio.Lock()):
            delay = rate_limit_wait(self._last_start.get(host), self._clock(), self._min_interval)
            if delay > 0:
                await self._sleep(delay)
            self._last_start[host] = self._clock()
