"""This worker's per-site event clocks (services.domain.ticker.event_clock), in memory beside the tables."""

import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from services.domain.ticker.event_clock import SiteClock, advance, resume_clock


class SiteClocks:
    """One clock per site of the partitions this worker owns.

    Not table state: the monotonic readings mean nothing in another process. After a restart or a
    rebalance a site's clock resumes from its newest recovered last_seen, running from the recovery time
    unless the site's entry says its newest page was a replay (SiteEntry.replayed, which `saw` feeds).
    """

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._clocks: dict[str, SiteClock] = {}
        self._partitions: dict[str, int] = {}
        self._recovered_at = monotonic()

    def saw(self, site: str, partition: int, event_time: datetime, *, replayed: bool = False) -> bool:
        """A snapshot of `site` fetched at `event_time` arrived on `partition` (`replayed`: long after its
        own time); whether the site's newest page is now a replay, for its table entry."""
        clock = self._clocks[site] = advance(
            self._clocks.get(site), event_time, self._monotonic(), replayed=replayed
        )
        self._partitions[site] = partition
        return clock.replayed

    def now(
        self,
        site: str,
        partition: int,
        last_seen: Callable[[], Iterable[datetime]],
        *,
        replayed: bool = False,
    ) -> datetime | None:
        """The site's time for the staleness check; `last_seen` gives the recovered times when needed and
        `replayed` whether the recovered site's newest page was a replay."""
        clock = self._clocks.get(site)
        if clock is None:
            clock = resume_clock(last_seen(), self._recovered_at, replayed=replayed)
            if clock is None:
                return None
            self._clocks[site] = clock
            self._partitions[site] = partition
        return clock.now(self._monotonic(), ceiling=datetime.now(UTC))

    def recovered(self) -> None:
        """Table recovery finished: clocks resumed from now on start at this moment."""
        self._recovered_at = self._monotonic()

    def revoke(self, partitions: Iterable[int]) -> list[str]:
        """Forget the sites of partitions this worker no longer owns; which they were."""
        gone = set(partitions)
        sites = [site for site, partition in self._partitions.items() if partition in gone]
        for site in sites:
            del self._clocks[site], self._partitions[site]
        return sites
