"""The per-site event clock of the staleness timer: newest fetched_at plus the real time since it arrived."""

# Replays carry old fetched_at times, so the wall clock would call every replayed pair stale at once;
# pure event time would never notice a source that died. This clock follows event time while snapshots
# arrive and runs on at the speed of real time once they stop: live polling reduces to the wall clock,
# a fast replay of old pages keeps its own time, and a dead source is noticed after stale_after of real time.

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class SiteClock:
    """Newest event time seen for a site and the monotonic reading (seconds) when it was seen."""

    event_time: datetime
    seen_at: float

    def now(self, monotonic: float, ceiling: datetime | None = None) -> datetime:
        """event_time plus the real time elapsed since it was seen, but never past `ceiling` (the wall clock).

        The ceiling keeps one snapshot stamped in the future (a producer with a wrong clock, a hostile
        envelope) from pushing the site's time ahead and declaring every pair stale at once.
        """
        moment = self.event_time + timedelta(seconds=max(0.0, monotonic - self.seen_at))
        return moment if ceiling is None else min(moment, ceiling)


def advance(clock: SiteClock | None, event_time: datetime, monotonic: float) -> SiteClock:
    """The clock after a snapshot fetched at `event_time` arrived; older snapshots leave it as it was."""
    if clock is not None and event_time <= clock.event_time:
        return clock
    return SiteClock(event_time, monotonic)


def resume_clock(last_seen: Iterable[datetime], recovered_at: float) -> SiteClock | None:
    """A site's clock after a restart: its newest recovered last_seen, running from the recovery time.

    None when there is nothing recovered for the site (no pair to go stale, so no clock needed).
    """
    newest = max(last_seen, default=None)
    return None if newest is None else SiteClock(newest, recovered_at)
