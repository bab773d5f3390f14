"""The per-site event clock: event time while snapshots arrive, real time once they stop, wall-capped."""

from datetime import timedelta

from services.domain.ticker.event_clock import SiteClock, advance, resume_clock
from tests.support.stream import at


def test_a_live_site_reads_its_newest_fetch_plus_the_real_time_since() -> None:
    clock = advance(None, at(0), monotonic=1000.0)
    assert clock == SiteClock(at(0), 1000.0)
    assert clock.now(1000.0) == at(0)
    assert clock.now(1090.5) == at(0) + timedelta(seconds=90.5)


def test_live_polling_reduces_to_the_wall_clock() -> None:
    # fetched at 06:00 and 06:05 and seen 2s after each fetch: the clock runs 2s behind the fetches
    clock = advance(None, at(0), monotonic=2.0)
    clock = advance(clock, at(minutes=5), monotonic=302.0)
    assert clock.now(602.0) == at(minutes=10)


def test_a_fast_replay_keeps_its_own_time() -> None:
    # a day of hourly pages replayed within a second: the site's time is the replay's, not today's
    clock = None
    for hour in range(24):
        clock = advance(clock, at(hour), monotonic=50.0 + hour / 100)
    assert clock is not None
    assert clock.now(51.0) == at(23) + timedelta(seconds=0.77)


def test_older_snapshots_do_not_turn_the_clock_back() -> None:
    clock = advance(None, at(5), monotonic=10.0)
    assert advance(clock, at(1), monotonic=20.0) is clock
    assert advance(clock, at(5), monotonic=20.0) is clock
    assert clock.now(20.0) == at(5) + timedelta(seconds=10)


def test_a_dead_source_keeps_the_clock_running_in_real_time() -> None:
    clock = advance(None, at(0), monotonic=0.0)
    assert clock.now(6 * 3600.0) == at(6)


def test_the_wall_clock_caps_a_snapshot_stamped_in_the_future() -> None:
    clock = advance(None, at(days=400), monotonic=0.0)
    assert clock.now(10.0, ceiling=at(1)) == at(1)
    assert advance(None, at(0), monotonic=0.0).now(60.0, ceiling=at(1)) == at(minutes=1)


def test_a_monotonic_reading_before_the_sighting_never_runs_the_clock_backwards() -> None:
    assert SiteClock(at(2), 100.0).now(99.0) == at(2)


def test_after_a_restart_the_clock_resumes_from_the_newest_recovered_last_seen() -> None:
    clock = resume_clock([at(1), at(3), at(2)], recovered_at=500.0)
    assert clock == SiteClock(at(3), 500.0)
    assert clock.now(560.0) == at(3) + timedelta(minutes=1)
    assert resume_clock([], recovered_at=500.0) is None


def test_a_replayed_site_stands_at_its_newest_page_once_pages_stop() -> None:
    clock = advance(None, at(0), monotonic=0.0, replayed=True)
    clock = advance(clock, at(2), monotonic=1.0, replayed=True)
    assert clock == SiteClock(at(2), 1.0, replayed=True)
    assert clock.now(30 * 24 * 3600.0) == at(2)


def test_a_live_page_newer_than_the_replay_starts_the_clock_and_an_older_replay_never_stops_it() -> None:
    replayed = advance(None, at(2), monotonic=0.0, replayed=True)
    polled = advance(replayed, at(3), monotonic=10.0)
    assert polled.now(70.0) == at(3) + timedelta(minutes=1)
    assert advance(polled, at(1), monotonic=20.0, replayed=True) is polled


def test_a_replayed_site_resumes_standing_still_after_a_restart() -> None:
    clock = resume_clock([at(1), at(3)], recovered_at=500.0, replayed=True)
    assert clock == SiteClock(at(3), 500.0, replayed=True)
    assert clock.now(9_000.0) == at(3)
