"""The worker's site clocks: follow snapshots, resume from recovered state, forget revoked partitions."""

from datetime import timedelta

from services.stream.clocks import SiteClocks
from tests.support.stream import at


class Monotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_site_runs_on_from_its_newest_snapshot() -> None:
    ticks = Monotonic()
    clocks = SiteClocks(ticks)
    clocks.saw("a.example", 2, at(1))
    clocks.saw("a.example", 2, at(0))  # late: the clock stays
    ticks.now += 30
    assert clocks.now("a.example", 2, lambda: [at(-5)]) == at(1) + timedelta(seconds=30)


def test_without_a_snapshot_since_recovery_the_clock_resumes_from_the_state_at_recovery_time() -> None:
    ticks = Monotonic()
    clocks = SiteClocks(ticks)
    ticks.now = 200.0
    clocks.recovered()
    ticks.now = 260.0
    assert clocks.now("b.example", 0, lambda: [at(2), at(3)]) == at(3) + timedelta(seconds=60)
    assert clocks.now("c.example", 0, lambda: []) is None


def test_revoked_partitions_lose_their_clocks() -> None:
    ticks = Monotonic()
    clocks = SiteClocks(ticks)
    clocks.saw("a.example", 1, at(1))
    clocks.saw("b.example", 4, at(1))
    clocks.revoke([1])
    ticks.now += 10
    assert clocks.now("a.example", 1, lambda: [at(0)]) == at(0) + timedelta(seconds=10)
    assert clocks.now("b.example", 4, lambda: [at(0)]) == at(1) + timedelta(seconds=10)


def test_saw_tells_whether_the_sites_newest_page_is_a_replay() -> None:
    ticks = Monotonic()
    clocks = SiteClocks(ticks)
    assert clocks.saw("a.example", 0, at(1), replayed=True) is True
    assert clocks.saw("a.example", 0, at(0)) is True  # older: the newest page is still the replayed one
    assert clocks.saw("a.example", 0, at(2)) is False
    assert clocks.saw("a.example", 0, at(1), replayed=True) is False
    ticks.now += 60
    assert clocks.now("a.example", 0, lambda: [at(0)]) == at(2) + timedelta(minutes=1)


def test_a_recovered_replayed_site_stands_still() -> None:
    ticks = Monotonic()
    clocks = SiteClocks(ticks)
    clocks.recovered()
    ticks.now += 7 * 3600
    assert clocks.now("b.example", 0, lambda: [at(2)], replayed=True) == at(2)
