"""Per-destination pacing: requests start the rate limit's interval apart, or later when a chat says so."""

import time
from collections.abc import Callable


class Pacer:
    """When the next request to one destination may start; one per destination, used by one task."""

    def __init__(self, min_interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._min_interval = min_interval
        self._clock = clock
        self._next_start: float | None = None

    def wait_seconds(self) -> float:
        """How long to wait before the next request may start (0 when it may start now)."""
        if self._next_start is None:
            return 0.0
        return max(0.0, self._next_start - self._clock())

    def started(self) -> None:
        """A request starts now: the next one waits the minimum interval."""
        self._next_start = max(self._next_start or 0.0, self._clock() + self._min_interval)

    def hold(self, seconds: float) -> None:
        """The destination asked for quiet (e.g. Discord's bucket is empty): no request for `seconds`."""
        self._next_start = max(self._next_start or 0.0, self._clock() + seconds)
