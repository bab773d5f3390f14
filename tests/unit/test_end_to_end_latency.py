"""End-to-end latency starts when a snapshot was produced to Kafka, not at the page's own time, and pages
produced long after they were fetched (replays) are labelled: a replay of 2025's files lands in the
seconds buckets with replay="true", not in +Inf."""

import time
from datetime import UTC, datetime, timedelta

from services.common.metrics import REGISTRY
from services.domain.replay import is_replay
from tests.support.stages import handle, raw, stages


def observed(topic: str, replay: str) -> tuple[float, float]:
    labels = {"topic": topic, "replay": replay}
    count = REGISTRY.get_sample_value("pagewire_end_to_end_seconds_count", labels) or 0.0
    total = REGISTRY.get_sample_value("pagewire_end_to_end_seconds_sum", labels) or 0.0
    return count, total


def test_a_replayed_page_is_measured_from_when_it_was_produced_and_labelled() -> None:
    running = stages()
    before = {replay: observed("snapshots.parsed", replay) for replay in ("true", "false")}
    produced = time.time() - 2.0
    handle(running, [raw("replay.example", datetime(2025, 2, 19, 6, tzinfo=UTC), produced_at=produced)])
    live_fetch = datetime.fromtimestamp(produced, UTC) - timedelta(seconds=1)
    handle(running, [raw("live.example", live_fetch, produced_at=produced)])

    for replay in ("true", "false"):
        count, total = observed("snapshots.parsed", replay)
        assert count - before[replay][0] == 1
        assert 2.0 <= total - before[replay][1] < 3.0  # two seconds since it was produced, not since 2025


def test_a_replay_is_a_page_produced_over_ten_minutes_after_its_own_time() -> None:
    produced = datetime(2026, 12, 7, 12, tzinfo=UTC)
    assert is_replay(produced - timedelta(minutes=10, seconds=1), produced)
    assert not is_replay(produced - timedelta(minutes=10), produced)
    assert not is_replay(produced + timedelta(seconds=5), produced)  # a clock a little ahead: live


def test_only_live_observations_move_the_arrival_clock_the_stale_alert_watches() -> None:
    """PagewireTickerStale watches pagewire_last_arrival_timestamp_seconds: a replay of 2025's files
    leaves it unset (no alert for a replayed site), a live page sets it to the wall clock."""
    running = stages()
    produced = time.time()
    handle(running, [raw("replayed.example", datetime(2025, 2, 19, 6, tzinfo=UTC), produced_at=produced)])
    live = datetime.fromtimestamp(produced, UTC)
    handle(running, [raw("fetched.example", live, produced_at=produced)])

    def arrival(site: str) -> float | None:
        labels = {"site": site, "pair": "KGS/USD"}
        return REGISTRY.get_sample_value("pagewire_last_arrival_timestamp_seconds", labels)

    assert arrival("replayed.example") is None
    arrived = arrival("fetched.example")
    assert arrived is not None and produced <= arrived <= time.time()
    # the event-time gauge still says when the replayed page was fetched
    replayed = {"site": "replayed.example", "pair": "KGS/USD"}
    event_time = REGISTRY.get_sample_value("pagewire_last_observation_timestamp_seconds", replayed)
    assert event_time == datetime(2025, 2, 19, 6, tzinfo=UTC).timestamp()


def test_latency_is_observed_when_an_output_is_handed_over_not_when_it_is_made() -> None:
    """The worker hands a batch of snapshots' outputs to Kafka together: the first snapshot's wait for the
    rest of its batch is part of its latency."""
    running = stages()
    before = observed("snapshots.parsed", "false")
    produced = time.time() - 1.0
    running.snapshots.handle(
        raw("waiting.example", datetime.fromtimestamp(produced, UTC), produced_at=produced)
    )

    assert observed("snapshots.parsed", "false") == before  # made and queued, not handed over yet
    running.snapshot_outputs.take()
    count, total = observed("snapshots.parsed", "false")
    assert count - before[0] == 1
    assert 1.0 <= total - before[1] < 2.0
