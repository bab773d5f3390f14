"""Delta math with Decimal and moves over look-back windows."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.domain.ticker.dedupe import observe_ticker
from services.domain.ticker.deltas import RateDelta, RateReading, RateRun, compute_delta, window_move
from services.domain.ticker.rows import TickerState
from services.domain.ticker.rules import StreamRules
from tests.support.stream import at, observation, snapshot_id

RULES = StreamRules()


def delta(previous: str, new: str, hours: float = 1, pair: str = "KGS/USD") -> RateDelta:
    return compute_delta(
        site="timesca.com",
        pair=pair,
        snapshot_id=snapshot_id("new"),
        previous=RateReading(previous, "0", at(0)),
        current=RateReading(new, "0.17", at(hours)),
        history=(RateRun(previous, at(0), at(0)),),
        rules=RULES,
    )


def test_kgs_two_tick_rise() -> None:
    result = delta("0.01144", "0.01146")
    assert result.change == Decimal("0.00002")
    assert result.change_pct == Decimal("0.174825")
    assert str(result.change_pct) == "0.174825"
    assert str(result.change_bps) == "17.4825"
    assert result.tick_size == Decimal("0.00001")
    assert result.change_ticks == 2
    assert result.quantised is False
    assert result.seconds_since_previous == 3600.0


def test_fall_is_negative() -> None:
    result = delta("0.09156", "0.09150", pair="TJS/USD")
    assert str(result.change) == "-0.00006"
    assert str(result.change_pct) == "-0.065531"
    assert str(result.change_bps) == "-6.5531"
    assert result.change_ticks == -6


def test_rounding_is_half_even() -> None:
    # 0.00001 / 0.64 is exactly 0.0015625%: half-even keeps the even 2 (half-up would give ...563)
    result = delta("0.64000", "0.64001")
    assert str(result.change_pct) == "0.001562"
    assert str(result.change_bps) == "0.1562"


def test_uzs_one_tick_is_flagged_as_quantisation() -> None:
    result = delta("0.00008", "0.00009", pair="UZS/USD")
    assert str(result.change_pct) == "12.500000"
    assert str(result.change_bps) == "1250.0000"
    assert result.change_ticks == 1
    assert result.quantised is True


def test_uzs_two_ticks_is_a_real_move() -> None:
    result = delta("0.00008", "0.00010", pair="UZS/USD")
    assert result.change_ticks == 2
    assert result.quantised is False


def test_quantisation_threshold_comes_from_the_rules() -> None:
    kzt = compute_delta(
        site="timesca.com",
        pair="KZT/USD",
        snapshot_id=snapshot_id("new"),
        previous=RateReading("0.00200", "0", at(0)),
        current=RateReading("0.00201", "0", at(1)),
        history=(),
        rules=StreamRules.parse(quantisation_threshold="0.5%"),
    )
    assert kzt.quantised is True
    assert delta("0.00200", "0.00201").quantised is False  # default 1%: 0.5% a tick is a real move


def run(rate: str, since: float, until: float) -> RateRun:
    return RateRun(rate, at(since), at(until))


def test_window_includes_an_observation_exactly_at_its_start() -> None:
    move = window_move([run("0.01144", 0, 0)], "0.01146", at(1), timedelta(hours=1))
    assert move is not None
    assert (move.from_rate, move.from_time, move.change_ticks) == ("0.01144", at(0), 2)


def test_a_rate_last_seen_just_before_the_start_is_the_reference_with_its_own_time() -> None:
    move = window_move([run("0.01144", 0, 0)], "0.01146", at(1, minutes=1), timedelta(hours=1))
    assert move is not None
    assert (move.from_rate, move.from_time, move.change_ticks) == ("0.01144", at(0), 2)


@pytest.mark.parametrize(
    ("gap_minutes", "from_rate", "from_time"),
    [
        # snapshots every 5 minutes: at the start (10:00) the page showed 0.01150, new at 10:00
        (0, "0.01150", at(4)),
        # no snapshot from 10:10 to 10:40: the start still has a rate seen at it
        (30, "0.01150", at(4)),
        # no snapshot from 9:40 to 11:10 (the move): the rate known at the start (10:10) was last seen at
        # 9:40, 30 minutes before the window; before the as-of join this window was null, and no alert fired
        (90, "0.01144", at(3, minutes=40)),
    ],
)
def test_a_window_takes_the_rate_known_at_its_start_across_gaps(
    gap_minutes: int, from_rate: str, from_time: datetime
) -> None:
    """A pair seen every 5 minutes from 8:00, 0.01144 until 9:55 and 0.01150 from 10:00, with a gap in the
    snapshots; at 11:00 (or right after the gap, when it ends later) the rate moves to 0.01200."""
    sightings = list(range(0, 181, 5))  # minutes after 8:00, to 11:00
    if gap_minutes == 30:
        sightings = [m for m in sightings if not 130 <= m <= 160]
    if gap_minutes == 90:
        sightings = [m for m in sightings if m <= 100] + [190]
    state: TickerState | None = None
    for minute in sightings[:-1]:
        rate = "0.01144" if minute < 120 else "0.01150"
        state = observe_ticker(state, observation(rate, when=at(2, minutes=minute)), RULES).state
    outcome = observe_ticker(state, observation("0.01200", when=at(2, minutes=sightings[-1])), RULES)
    assert outcome.delta is not None
    one_hour = dict(outcome.delta.windows)["1h"]
    assert one_hour is not None
    assert (one_hour.from_rate, one_hour.from_time) == (from_rate, from_time)
    assert str(one_hour.change_pct) == {"0.01150": "4.347826", "0.01144": "4.895105"}[from_rate]


def test_a_reference_seen_over_a_window_before_the_start_is_too_old() -> None:
    # last seen 2h 1m before the move: 1h 1m before the 1h window, so the window has no reference
    assert window_move([run("0.01144", 0, 0)], "0.01146", at(2, minutes=1), timedelta(hours=1)) is None
    # one run seen inside the window, after a long silence: the move is from it, as for a new pair
    history = [run("0.01144", 0, 0), run("0.01145", 10.5, 10.75)]
    move = window_move(history, "0.01146", at(11), timedelta(hours=1))
    assert move is not None and (move.from_rate, move.from_time) == ("0.01145", at(10.5))


def test_window_takes_the_rate_known_at_its_start() -> None:
    history = [run("0.01140", 0, 2), run("0.01144", 5, 6), run("0.01150", 7, 9)]
    move = window_move(history, "0.01146", at(10), timedelta(hours=6))
    assert move is not None
    # at the start (4h) the page's rate was 0.01140: accepted at 0h, last seen at 2h, 0.01144 came at 5h
    assert (move.from_rate, move.from_time) == ("0.01140", at(2))
    assert (str(move.change), str(move.change_pct), move.change_ticks) == ("0.00006", "0.526316", 6)
    # a pair first seen inside the window: its oldest run there
    move = window_move(history[1:], "0.01146", at(10), timedelta(hours=6))
    assert move is not None and (move.from_rate, move.from_time) == ("0.01144", at(5))


def test_duplicates_keep_a_rate_inside_the_window_from_its_start() -> None:
    # 0.01140 was accepted 5h ago and confirmed by a duplicate 30 minutes ago: it held at the window start
    move = window_move([run("0.01140", 0, 4.5)], "0.01146", at(5), timedelta(hours=1))
    assert move is not None
    assert (move.from_rate, move.from_time) == ("0.01140", at(4))


def test_no_history_means_no_window() -> None:
    assert window_move([], "0.01146", at(5), timedelta(hours=1)) is None


def test_windows_through_the_dedupe_rule() -> None:
    state: TickerState | None = None
    for rate, hours in [("0.01144", 0), ("0.01146", 1), ("0.01150", 2.5), ("0.01150", 3), ("0.01150", 4)]:
        state = observe_ticker(state, observation(rate, when=at(hours)), RULES).state
    outcome = observe_ticker(state, observation("0.01149", when=at(4.75)), RULES)
    assert outcome.delta is not None
    windows = dict(outcome.delta.windows)
    one_hour, day, week = windows["1h"], windows["24h"], windows["7d"]
    assert one_hour is not None and day is not None and week is not None
    # 1h: 0.01150 was accepted at 2.5h and seen again at 4h, so it was the rate at the window start (3:45h)
    assert (one_hour.from_rate, one_hour.from_time) == ("0.01150", at(3.75))
    assert (str(one_hour.change), str(one_hour.change_pct), one_hour.change_ticks) == (
        "-0.00001",
        "-0.086957",
        -1,
    )
    assert (day.from_rate, day.from_time, str(day.change_pct), day.change_ticks) == (
        "0.01144",
        at(0),
        "0.437063",
        5,
    )
    assert week == day
    # the delta itself is against the previous accepted row, whatever the windows say
    assert (outcome.delta.previous.rate, outcome.delta.previous.at) == ("0.01150", at(2.5))
    assert outcome.delta.seconds_since_previous == 8100.0


def test_a_day_later_the_24h_window_starts_at_the_boundary() -> None:
    state: TickerState | None = None
    for rate, hours in [("0.01144", 0), ("0.01146", 1), ("0.01150", 2.5)]:
        state = observe_ticker(state, observation(rate, when=at(hours)), RULES).state
    outcome = observe_ticker(state, observation("0.01160", when=at(25)), RULES)
    assert outcome.delta is not None
    windows = dict(outcome.delta.windows)
    assert windows["1h"] is None  # 0.01150 was last seen at 2.5h, long before 24h
    day = windows["24h"]
    assert day is not None and (day.from_rate, day.from_time) == ("0.01146", at(1))  # seen at 1h: inside
    week = windows["7d"]
    assert week is not None and (week.from_rate, week.from_time) == ("0.01144", at(0))


def test_history_forgets_runs_no_window_can_take_as_reference() -> None:
    state: TickerState | None = None
    for rate, when in [("0.01144", at(0)), ("0.01146", at(1)), ("0.01150", at(0.5, days=7))]:
        state = observe_ticker(state, observation(rate, when=when), RULES).state
    assert state is not None
    # 0.01144 could still be the reference of a 7d window starting up to 7 days after it was last seen
    assert [(r.rate, r.since) for r in state.history] == [
        ("0.01144", at(0)),
        ("0.01146", at(1)),
        ("0.01150", at(0.5, days=7)),
    ]
    state = observe_ticker(state, observation("0.01151", when=at(0.5, days=14)), RULES).state
    assert state is not None
    assert [r.rate for r in state.history] == ["0.01146", "0.01150", "0.01151"]


def test_history_is_capped() -> None:
    rules = StreamRules.parse(history_limit=3)
    state: TickerState | None = None
    for step, rate in enumerate(["0.01144", "0.01145", "0.01146", "0.01147", "0.01148"]):
        state = observe_ticker(state, observation(rate, when=at(step)), rules).state
    assert state is not None
    assert [r.rate for r in state.history] == ["0.01146", "0.01147", "0.01148"]


@settings(max_examples=300, deadline=None)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(["0.01144", "0.01146", "0.01150"]), st.integers(1, 4000)),
        min_size=1,
        max_size=60,
    ),
    limit=st.integers(min_value=2, max_value=8),
)
def test_the_pruned_history_is_every_run_still_in_reach_capped_at_the_limit(
    steps: list[tuple[str, int]], limit: int
) -> None:
    """Whatever the moves and the gaps between them (ten minutes to four weeks), the history after each
    new rate is the runs a window may still take as reference (last seen within two longest windows, 2 x 1
    week here) plus the current run, the latest `limit` of them: the definition, against the bisection."""
    rules = StreamRules.parse(windows="1h,1d,1w", history_limit=str(limit))
    state: TickerState | None = None
    minutes = 0
    for rate, gap in steps:
        minutes += gap * 10
        moment = at(0) + timedelta(minutes=minutes)
        before = None if state is None else state.history
        state = observe_ticker(state, observation(rate, when=moment), rules).state
        assert state is not None
        if before is None:
            continue
        if rate == before[-1].rate:  # the same rate again: its run grows, nothing is pruned
            assert state.history == (*before[:-1], RateRun(rate, before[-1].since, moment))
            continue
        grown = (*before, RateRun(rate, moment, moment))
        horizon = moment - 2 * timedelta(weeks=1)
        expected = tuple(run for run in grown[:-1] if run.until >= horizon) + grown[-1:]
        assert state.history == expected[-limit:]
