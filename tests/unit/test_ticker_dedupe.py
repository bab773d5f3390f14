"""The ticker dedupe rule: first, duplicate, changed, late; and its JSON-serialisable state."""

import json
import re
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import pytest

from services.domain.errors import ParseError, SchemaError
from services.domain.ticker.dedupe import ObservationKind, observe_ticker
from services.domain.ticker.deltas import RateRun
from services.domain.ticker.rows import TickerObservation, TickerState, observation_from_quote, ticker_key
from services.domain.ticker.rules import StreamRules
from tests.support.stream import SITE, URL, at, observation, snapshot_id

RULES = StreamRules()
SEED = Path(__file__).resolve().parents[2] / "samples" / "seed.txt"


def first_state() -> TickerState:
    return observe_ticker(None, observation("0.01144", "0", at(0), snapshot="a"), RULES).state


def test_first_observation_is_a_row_without_a_delta() -> None:
    first = observation("0.01144", "0", at(0), snapshot="a")
    outcome = observe_ticker(None, first, RULES)
    assert (outcome.kind, outcome.reason, outcome.row, outcome.delta, outcome.recovered) == (
        ObservationKind.FIRST,
        "first",
        first,
        None,
        None,
    )
    assert outcome.state == TickerState(
        site=SITE,
        pair="KGS/USD",
        rate="0.01144",
        change_pct="0",
        accepted_at=at(0),
        accepted_snapshot_id=snapshot_id("a"),
        last_seen=at(0),
        last_seen_snapshot_id=snapshot_id("a"),
        history=(RateRun("0.01144", at(0), at(0)),),
    )


def test_duplicate_emits_nothing_and_refreshes_last_seen() -> None:
    outcome = observe_ticker(first_state(), observation("0.01144", "0", at(1), snapshot="b"), RULES)
    assert (outcome.kind, outcome.reason, outcome.row, outcome.delta) == (
        ObservationKind.DUPLICATE,
        "refreshed",
        None,
        None,
    )
    state = outcome.state
    assert (state.accepted_at, state.accepted_snapshot_id) == (at(0), snapshot_id("a"))
    assert (state.last_seen, state.last_seen_snapshot_id) == (at(1), snapshot_id("b"))
    assert state.history == (RateRun("0.01144", at(0), at(1)),)
    assert state.duplicates == 1


def test_values_compare_as_numbers() -> None:
    state = observe_ticker(None, observation("0.0115", "0", at(0)), RULES).state
    outcome = observe_ticker(state, observation("0.01150", "-0", at(1)), RULES)
    assert outcome.kind is ObservationKind.DUPLICATE


def test_same_time_same_values_is_a_duplicate() -> None:
    outcome = observe_ticker(first_state(), observation("0.01144", "0", at(0), snapshot="b"), RULES)
    assert (outcome.kind, outcome.reason) == (ObservationKind.DUPLICATE, "not_newer_than_last_seen")
    assert outcome.state.last_seen_snapshot_id == snapshot_id("a")


def test_changed_rate_is_a_row_and_a_delta() -> None:
    new = observation("0.01146", "0.17", at(1), snapshot="b")
    outcome = observe_ticker(first_state(), new, RULES)
    assert (outcome.kind, outcome.reason, outcome.row) == (ObservationKind.CHANGED, "rate_changed", new)
    assert outcome.delta is not None
    assert (outcome.delta.previous.rate, outcome.delta.current.rate, outcome.delta.change_ticks) == (
        "0.01144",
        "0.01146",
        2,
    )
    state = outcome.state
    assert (state.rate, state.change_pct, state.accepted_at, state.last_seen) == (
        "0.01146",
        "0.17",
        at(1),
        at(1),
    )
    assert state.history == (RateRun("0.01144", at(0), at(0)), RateRun("0.01146", at(1), at(1)))


def test_changed_reported_change_alone_is_a_row_but_no_delta() -> None:
    new = observation("0.01144", "-0.11", at(1), snapshot="b")
    outcome = observe_ticker(first_state(), new, RULES)
    assert (outcome.kind, outcome.reason, outcome.row, outcome.delta) == (
        ObservationKind.CHANGED,
        "reported_change_only",
        new,
        None,
    )
    assert (outcome.state.change_pct, outcome.state.accepted_at) == ("-0.11", at(1))
    assert outcome.state.history == (RateRun("0.01144", at(0), at(1)),)


def test_same_time_other_values_is_a_change() -> None:
    outcome = observe_ticker(first_state(), observation("0.01145", "0", at(0), snapshot="b"), RULES)
    assert outcome.kind is ObservationKind.CHANGED
    assert outcome.delta is not None and outcome.delta.seconds_since_previous == 0.0


def test_older_than_accepted_is_late_and_skipped() -> None:
    state = observe_ticker(first_state(), observation("0.01146", "0", at(2)), RULES).state
    for late in (observation("0.01140", "0", at(1)), observation("0.01146", "0", at(1))):
        outcome = observe_ticker(state, late, RULES)
        assert (outcome.kind, outcome.reason, outcome.row, outcome.delta) == (
            ObservationKind.LATE,
            "older_than_accepted",
            None,
            None,
        )
        assert outcome.state == replace(state, late=1)


def test_other_values_older_than_the_newest_sighting_are_superseded() -> None:
    # 0.01144 accepted at 0h and confirmed at 3h; a snapshot from 2h saying 0.01150 would go back in time
    state = observe_ticker(first_state(), observation("0.01144", "0", at(3)), RULES).state
    outcome = observe_ticker(state, observation("0.01150", "0", at(2)), RULES)
    assert (outcome.kind, outcome.reason, outcome.delta) == (ObservationKind.LATE, "superseded", None)
    assert outcome.state == replace(state, late=1)


def test_a_duplicate_between_accepted_and_last_seen_changes_nothing_but_the_count() -> None:
    state = observe_ticker(first_state(), observation("0.01144", "0", at(3)), RULES).state
    outcome = observe_ticker(state, observation("0.01144", "0", at(2)), RULES)
    assert outcome.kind is ObservationKind.DUPLICATE
    assert outcome.state == replace(state, duplicates=2)


def test_a_replay_sent_again_is_repeats_not_late() -> None:
    """`pagewire produce` run twice on the same files: the second run's observations are all known to the
    history at their moments, so they count as duplicates, move nothing and are not late."""
    replay = [("0.01144", at(0)), ("0.01146", at(1)), ("0.01146", at(2)), ("0.01150", at(3))]
    state: TickerState | None = None
    for rate, when in replay:
        state = observe_ticker(state, observation(rate, "0", when), RULES).state
    assert state is not None
    for rate, when in replay:
        outcome = observe_ticker(state, observation(rate, "0", when), RULES)
        assert (outcome.kind, outcome.reason, outcome.row, outcome.delta) == (
            ObservationKind.DUPLICATE,
            "repeat" if when < at(3) else "not_newer_than_last_seen",
            None,
            None,
        )
        state = outcome.state
    assert (state.late, state.duplicates, state.last_seen, state.rate) == (0, 5, at(3), "0.01150")
    # an old snapshot the history contradicts (0.01146 was the rate at 1h) is still late
    contradicting = observe_ticker(state, observation("0.01140", "0", at(1)), RULES)
    assert (contradicting.kind, contradicting.reason) == (ObservationKind.LATE, "older_than_accepted")


def test_state_round_trips_through_json() -> None:
    state = first_state()
    for rate, hours in [("0.01146", 1), ("0.01146", 2), ("0.01140", 3)]:
        state = observe_ticker(state, observation(rate, "0", at(hours)), RULES).state
    state = replace(state, stale_since=at(9), late=2)
    wire = json.loads(json.dumps(state.to_dict()))
    assert TickerState.from_dict(wire) == state
    assert wire["history"][1] == {
        "rate": "0.01146",
        "since": "2025-02-19T07:00:00Z",
        "until": "2025-02-19T08:00:00Z",
    }


def test_state_from_a_broken_dict_is_a_schema_error() -> None:
    broken = first_state().to_dict()
    del broken["last_seen"]
    with pytest.raises(SchemaError):
        TickerState.from_dict(broken)
    with pytest.raises(SchemaError):
        TickerState.from_dict({**first_state().to_dict(), "version": 99})


def test_state_of_another_key_is_refused() -> None:
    with pytest.raises(ValueError, match="KZT/USD"):
        observe_ticker(first_state(), observation("0.00200", pair="KZT/USD"), RULES)


@pytest.mark.parametrize(
    "bad",
    [
        {"pair": "KGSUSD"},
        {"base": "KZT"},
        {"site": "TimesCA.com"},
        {"rate": "0.00000"},
        {"rate": "abc"},
        {"change_pct": "1%"},
        {"event_time": datetime(2025, 2, 19, 6)},
        {"snapshot_id": "xyz"},
    ],
)
def test_invalid_observations_are_parse_errors(bad: dict[str, object]) -> None:
    fields = {**observation("0.01144").__dict__, **bad}
    with pytest.raises(ParseError):
        TickerObservation(**fields)


@dataclass(frozen=True)
class Quote:
    pair: str
    base: str
    quote: str
    rate: str
    change_pct: str


def seed_quotes() -> list[Quote]:
    rows = re.findall(r"• ([A-Z]{3})/([A-Z]{3}) = ([0-9.]+) (-?[0-9.]+)%", SEED.read_text(encoding="utf-8"))
    return [Quote(f"{base}/{quote}", base, quote, rate, change) for base, quote, rate, change in rows]


def test_the_seed_page_twice_gives_five_rows() -> None:
    quotes = seed_quotes()
    assert len(quotes) == 40
    table: dict[str, TickerState] = {}
    kinds: list[ObservationKind] = []
    rows = []
    for hours, snapshot in [(0, "seed"), (1, "seed-again")]:
        for quote in quotes:
            seen = observation_from_quote(
                quote, site=SITE, event_time=at(hours), snapshot_id=snapshot_id(snapshot), source_url=URL
            )
            outcome = observe_ticker(table.get(seen.key), seen, RULES)
            table[seen.key] = outcome.state
            kinds.append(outcome.kind)
            if outcome.row is not None:
                rows.append((outcome.row.pair, outcome.row.rate, outcome.row.change_pct))
    assert rows == [
        ("KGS/USD", "0.01144", "0"),
        ("KZT/USD", "0.00200", "0"),
        ("TJS/USD", "0.09156", "-0.11"),
        ("UZS/USD", "0.00008", "0"),
        ("TMT/USD", "0.28530", "-0.14"),
    ]
    assert kinds.count(ObservationKind.FIRST) == 5 and kinds.count(ObservationKind.DUPLICATE) == 75
    assert sorted(table) == [
        ticker_key(SITE, pair) for pair in ["KGS/USD", "KZT/USD", "TJS/USD", "TMT/USD", "UZS/USD"]
    ]
    assert {state.last_seen for state in table.values()} == {at(1)}
