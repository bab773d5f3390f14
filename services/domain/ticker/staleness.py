"""The staleness rule: a (site, pair) with no observation for too long goes stale once and recovers once."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Liveness(StrEnum):
    STALE = "stale"
    RECOVERED = "recovered"


@dataclass(frozen=True)
class StalenessEvent:
    """A change between live and stale for one (site, pair) (see pagewire.staleness/1).

    For `stale`, event_time is when the timer noticed and snapshot_id the last observation's snapshot;
    for `recovered`, both belong to the observation that ended the silence. last_seen is always the
    event time of the last observation (new or duplicate) before the silence.
    """

    site: str
    pair: str
    state: Liveness
    event_time: datetime
    last_seen: datetime
    snapshot_id: str
    stale_after: timedelta

    @property
    def silent(self) -> timedelta:
        """How long nothing arrived: until detection for stale, until the new data for recovered."""
        return self.event_time - self.last_seen


def is_stale(last_seen: datetime, now: datetime, stale_after: timedelta) -> bool:
    """Nothing (new or duplicate) arrived for at least `stale_after` up to `now`."""
    return now - last_seen >= stale_after


def detect_stale(
    *,
    site: str,
    pair: str,
    last_seen: datetime,
    last_snapshot_id: str,
    stale_since: datetime | None,
    now: datetime,
    stale_after: timedelta,
) -> StalenessEvent | None:
    """The timer's check: a `stale` event on the transition only, None while live or already stale.

    `stale_since` is when this silence was already reported (None when live); the caller stores `now`
    there when an event comes back, so the same silence is never reported twice.
    """
    if stale_since is not None or not is_stale(last_seen, now, stale_after):
        return None
    return StalenessEvent(site, pair, Liveness.STALE, now, last_seen, last_snapshot_id, stale_after)


def detect_recovery(
    *,
    site: str,
    pair: str,
    last_seen: datetime,
    stale_since: datetime | None,
    event_time: datetime,
    snapshot_id: str,
    stale_after: timedelta,
) -> StalenessEvent | None:
    """On an observation newer than `last_seen`: a `recovered` event when the pair was reported stale.

    Observations that do not move last_seen forward (late ones, or duplicates older than the newest
    sighting) are not new data and recover nothing; the caller only asks for ones that do.
    """
    if stale_since is None or event_time <= last_seen:
        return None
    return StalenessEvent(site, pair, Liveness.RECOVERED, event_time, last_seen, snapshot_id, stale_after)
