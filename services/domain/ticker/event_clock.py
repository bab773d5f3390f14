"""The per-site event clock of the staleness timer: newest fetched_at plus the real time since it arrived."""

# Replays carry old fetched_at times, so the wall clock would call every replayed pair stale at once;
# pure event time would never notice a source that died. This clock follows event time while snapshots
# arrive and, for a live site, runs on at the speed of real time once they stop: live polling reduces to
# the wall clock, a fast replay of old pages keeps its own time, and a dead source is noticed after
# stale_after of real time. A site whose newest page was a replay (services.domain.replay) stands still
# once its pages stop: a replay that ended is not a source that died, so it never turns stale on its own.

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class SiteClock:
    """Newest event time seen for a site, the monotonic reading (seconds) when it was seen, and whether
    that newest page was a replay."""

    event_time: datetime
    seen_at: float
    replayed: bool = False

    def now(self, monotonic: float, ceiling: datetime | None = None) -> datetime:
        """event_time plus the real time elapsed since it was seen (a live site) or event_time itself (a
        replayed one), but never past `ceiling` (the wall clock).

        The ceiling keeps one snapshot stamped in the future (a producer with a wrong clock, a hostile
        envelope) from pushing the site's time ahead and declaring every pair stale at once.
        """
        elapsed = 0.0 if self.replayed else max(0.0, monotonic - self.seen_at)
        moment = self.event_time + timedelta(seconds=elapsed)
        return moment if ceiling is None else min(moment, ceiling)


def advance(
    clock: SiteClock | None, event_time: datetime, monotonic: float, *, replayed: bool = False
) -> SiteClock:
    """The clock after a snapshot fetched at `event_time` arrived; older snapshots leave it as it was (an
    old file replayed beside live polling does not stop a live site's clock)."""
    if clock is not None and event_time <= clock.event_time:
        return clock
    return SiteClock(event_time, monotonic, replayed)


def resume_clock(
    last_seen: Iterable[datetime], recovered_at: float, *, replayed: bool = False
) -> SiteClock | None:
    """A site's clock after a restart: its newest recovered last_seen, running from the recovery time unless
    the site's newest page was a replay.

    None when there is nothing recovered for the site (no pair to go stale, so no clock needed).
    """
    newest = max(last_seen, default=None)
    return None if newest is None else SiteClock(newest, recovered_at, replayed)
