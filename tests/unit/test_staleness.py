"""The staleness rule: one `stale` event per silence, one `recovered` event when data returns."""

from datetime import datetime, timedelta

from services.domain.ticker.dedupe import ObservationKind, check_staleness, observe_ticker
from services.domain.ticker.rows import TickerState
from services.domain.ticker.rules import StreamRules
from services.domain.ticker.staleness import Liveness, StalenessEvent, detect_stale, is_stale
from tests.support.stream import SITE, at, observation, snapshot_id

RULES = StreamRules.parse(stale_after="6h")


def live_state() -> TickerState:
    state = observe_ticker(
        None, observation("0.00008", when=at(0), pair="UZS/USD", snapshot="a"), RULES
    ).state
    return observe_ticker(
        state, observation("0.00008", when=at(1), pair="UZS/USD", snapshot="b"), RULES
    ).state


def test_is_stale_after_the_configured_silence_inclusive() -> None:
    assert is_stale(at(1), at(6, minutes=59), timedelta(hours=6)) is False
    assert is_stale(at(1), at(7), timedelta(hours=6)) is True


def test_the_timer_reports_a_silence_once() -> None:
    state = live_state()
    assert check_staleness(state, at(6, minutes=59), RULES) == (state, None)
    stale, event = check_staleness(state, at(7, minutes=5), RULES)
    assert event == StalenessEvent(
        site=SITE,
        pair="UZS/USD",
        state=Liveness.STALE,
        event_time=at(7, minutes=5),
        last_seen=at(1),
        snapshot_id=snapshot_id("b"),
        stale_after=timedelta(hours=6),
    )
    assert event.silent == timedelta(hours=6, minutes=5)
    assert stale.stale_since == at(7, minutes=5)
    assert check_staleness(stale, at(8), RULES) == (stale, None)
    assert check_staleness(stale, at(30), RULES) == (stale, None)


def test_the_next_observation_recovers_once() -> None:
    stale, _ = check_staleness(live_state(), at(8), RULES)
    outcome = observe_ticker(stale, observation("0.00008", when=at(9), pair="UZS/USD", snapshot="c"), RULES)
    assert outcome.kind is ObservationKind.DUPLICATE
    assert outcome.recovered == StalenessEvent(
        site=SITE,
        pair="UZS/USD",
        state=Liveness.RECOVERED,
        event_time=at(9),
        last_seen=at(1),
        snapshot_id=snapshot_id("c"),
        stale_after=timedelta(hours=6),
    )
    assert outcome.recovered.silent == timedelta(hours=8)
    assert outcome.state.stale_since is None
    again = observe_ticker(outcome.state, observation("0.00008", when=at(10), pair="UZS/USD"), RULES)
    assert again.recovered is None


def test_a_change_also_recovers() -> None:
    stale, _ = check_staleness(live_state(), at(8), RULES)
    outcome = observe_ticker(stale, observation("0.00009", when=at(9), pair="UZS/USD", snapshot="c"), RULES)
    assert outcome.kind is ObservationKind.CHANGED
    assert outcome.delta is not None and outcome.delta.quantised is True
    assert outcome.recovered is not None and outcome.recovered.state is Liveness.RECOVERED


def test_old_data_does_not_recover() -> None:
    stale, _ = check_staleness(live_state(), at(8), RULES)
    for old in (
        observation("0.00009", when=at(0.5), pair="UZS/USD"),  # late
        observation("0.00008", when=at(0.5), pair="UZS/USD"),  # late duplicate
        observation("0.00008", when=at(1), pair="UZS/USD"),  # no newer than last_seen
    ):
        outcome = observe_ticker(stale, old, RULES)
        assert outcome.recovered is None
        assert outcome.state.stale_since == at(8)


def test_a_new_silence_after_recovery_is_reported_again() -> None:
    stale, _ = check_staleness(live_state(), at(8), RULES)
    live = observe_ticker(stale, observation("0.00008", when=at(9), pair="UZS/USD"), RULES).state
    assert check_staleness(live, at(14), RULES)[1] is None
    restale, event = check_staleness(live, at(15), RULES)
    assert event is not None and (event.state, event.last_seen) == (Liveness.STALE, at(9))
    assert restale.stale_since == at(15)


def test_detect_stale_on_plain_values() -> None:
    def detect(stale_since: datetime | None, now: datetime) -> StalenessEvent | None:
        return detect_stale(
            site=SITE,
            pair="KGS/USD",
            last_seen=at(0),
            last_snapshot_id=snapshot_id("a"),
            stale_since=stale_since,
            now=now,
            stale_after=timedelta(hours=1),
        )

    assert detect(None, at(1)) is not None
    assert detect(at(1), at(2)) is None
