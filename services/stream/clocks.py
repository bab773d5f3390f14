"""This worker's per-site event clocks (services.domain.ticker.event_clock), in memory beside the tables."""

import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from services.domain.ticker.event_clock import SiteClock, advance, resume_clock


class SiteClocks:
    """One clock per site of the partitions this worker owns.

    Not table state: the monotonic readings mean nothing in another process. After a restart or a
    rebalance a site's clock resumes from its newest recovered last_seen, running from the recovery time.
    """

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._clocks: dict[str, SiteClock] = {}
        self._partitions: dict[str, int] = {}
        self._recovered_at = monotonic()

    def saw(self, site: str, partition: int, event_time: datetime) -> None:
        """A snapshot of `site` fetched at `event_time` arrived on `partition`."""
        self._clocks[site] = advance(self._clocks.get(site), event_time, self._monotonic())
        self._partitions[site] = partition

    def now(self, site: str, partition: int, last_seen: Callable[[], Iterable[datetime]]) -> datetime | None:
        """The site's time for the staleness check; `last_seen` gives the recovered times when needed."""
        clock = self._clocks.get(site)
        if clock is None:
            clock = resume_clock(last_seen(), self._recovered_at)
            if clock is None:
                return None
            self._clocks[site] = clock
            self._partitions[site] = partition
        return clock.now(self._monotonic(), ceiling=datetime.now(UTC))

    def recovered(self) -> None:
        """Table recovery finished: clocks resumed from now on start at this moment."""
        self._recovered_at = self._monotonic()

    def revoke(self, partitions: Iterable[int]) -> None:
        """Forget the sites of partitions this worker no longer owns."""
        gone = set(partitions)
        for site in [site for site, partition in self._partitions.items() if partition in gone]:
            del self._clocks[site], self._partitions[site]
