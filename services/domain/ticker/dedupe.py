"""The ticker dedupe rule: what one observation of a (site, pair) does to its state and what it emits."""

from bisect import bisect_left
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from operator import attrgetter

from services.domain.decimals import parse_decimal
from services.domain.evolve import evolve
from services.domain.ticker.deltas import RateDelta, RateReading, RateRun, compute_delta
from services.domain.ticker.rows import TickerObservation, TickerState, ticker_key
from services.domain.ticker.rules import StreamRules
from services.domain.ticker.staleness import StalenessEvent, detect_recovery, detect_stale


class ObservationKind(StrEnum):
    """How one observation relates to its (site, pair) state."""

    FIRST = "first"  # no state yet: a row, no delta
    CHANGED = "changed"  # rate or reported change differs: a row, and a delta when the rate differs
    DUPLICATE = "duplicate"  # same rate and change: nothing out, last_seen refreshed
    LATE = "late"  # older than what was accepted: counted, skipped


@dataclass(frozen=True)
class TickerOutcome:
    """What one observation did: the state to store and what to emit (row, delta, recovered event)."""

    kind: ObservationKind
    reason: str
    state: TickerState
    row: TickerObservation | None = None
    delta: RateDelta | None = None
    recovered: StalenessEvent | None = None


def same_values(state: TickerState, observation: TickerObservation) -> bool:
    """Rates and changes compare as numbers: '0' equals '-0', '0.0115' equals '0.01150'."""
    return parse_decimal(observation.rate) == parse_decimal(state.rate) and parse_decimal(
        observation.change_pct
    ) == parse_decimal(state.change_pct)


def observe_ticker(
    state: TickerState | None, observation: TickerObservation, rules: StreamRules
) -> TickerOutcome:
    """Apply the dedupe rule to one observation of (site, pair) against its state (None when new).

    - FIRST: no state; the observation is the first row, there is no delta.
    - DUPLICATE: same rate and change as the last accepted row and not older than it; nothing is
      emitted; when it is the newest sighting it refreshes last_seen (and recovers a stale pair). Also
      a repeat: older than the newest sighting, with the rate a run of the history shows at its moment
      (a snapshot sent again, files replayed twice): nothing emitted, nothing moved, not late.
    - LATE: older than the last accepted row; or differing from it while older than the newest
      sighting (a newer snapshot already confirmed the accepted values, so taking this one would go
      back in time). Counted and skipped; never a delta.
    - CHANGED: anything else. A new row; a delta only when the rate differs. A change of only the
      page-reported change_pct is a new row (ticker.rows carries what the page printed) but no delta
      (rates.deltas is about the rate; a zero move would only be noise for alerts and windows).
    Equal event times are not late: with the same values that is a duplicate, with other values a change.
    """
    if state is None:
        return TickerOutcome(ObservationKind.FIRST, "first", _first_state(observation), row=observation)
    if (state.site, state.pair) != (observation.site, observation.pair):
        other = ticker_key(state.site, state.pair)
        raise ValueError(f"observation of {observation.key} given the state of {other}")
    moment = observation.event_time
    if moment < state.last_seen and _known(state.history, moment, observation.rate):
        # an older sighting the history already shows (a snapshot sent again, a replay run twice): a repeat
        return TickerOutcome(
            ObservationKind.DUPLICATE, "repeat", evolve(state, duplicates=state.duplicates + 1)
        )
    if moment < state.accepted_at:
        return TickerOutcome(ObservationKind.LATE, "older_than_accepted", evolve(state, late=state.late + 1))
    recovered = detect_recovery(
        site=state.site,
        pair=state.pair,
        last_seen=state.last_seen,
        stale_since=state.stale_since,
        event_time=moment,
        snapshot_id=observation.snapshot_id,
        stale_after=rules.stale_after,
    )
    if same_values(state, observation):
        counted = evolve(state, duplicates=state.duplicates + 1)
        if moment <= state.last_seen:
            return TickerOutcome(ObservationKind.DUPLICATE, "not_newer_than_last_seen", counted)
        refreshed = _seen(counted, observation, _extend_current_run(state.history, moment))
        return TickerOutcome(ObservationKind.DUPLICATE, "refreshed", refreshed, recovered=recovered)
    if moment < state.last_seen:
        return TickerOutcome(ObservationKind.LATE, "superseded", evolve(state, late=state.late + 1))
    rate_changed = parse_decimal(observation.rate) != parse_decimal(state.rate)
    delta = None
    if rate_changed:
        delta = compute_delta(
            site=state.site,
            pair=state.pair,
            snapshot_id=observation.snapshot_id,
            previous=RateReading(state.rate, state.change_pct, state.accepted_at),
            current=observation.reading,
            history=state.history,
            rules=rules,
        )
        history = (*state.history, RateRun(observation.rate, moment, moment))
    else:
        history = _extend_current_run(state.history, moment)
    accepted = evolve(
        _seen(state, observation, _bounded(history, moment, rules)),
        rate=observation.rate,
        change_pct=observation.change_pct,
        accepted_at=moment,
        accepted_snapshot_id=observation.snapshot_id,
    )
    reason = "rate_changed" if rate_changed else "reported_change_only"
    return TickerOutcome(ObservationKind.CHANGED, reason, accepted, observation, delta, recovered)


def check_staleness(
    state: TickerState, now: datetime, rules: StreamRules
) -> tuple[TickerState, StalenessEvent | None]:
    """The timer's step for one (site, pair): the state to store and a `stale` event on the transition."""
    event = detect_stale(
        site=state.site,
        pair=state.pair,
        last_seen=state.last_seen,
        last_snapshot_id=state.last_seen_snapshot_id,
        stale_since=state.stale_since,
        now=now,
        stale_after=rules.stale_after,
    )
    return (state, None) if event is None else (evolve(state, stale_since=now), event)


def _known(history: tuple[RateRun, ...], moment: datetime, rate: str) -> bool:
    """Whether a run of `history` was the page's rate at `moment` and that rate is `rate`."""
    value = parse_decimal(rate)
    return any(
        run.since <= moment <= run.until and parse_decimal(run.rate) == value for run in reversed(history)
    )


def _first_state(observation: TickerObservation) -> TickerState:
    moment = observation.event_time
    return TickerState(
        site=observation.site,
        pair=observation.pair,
        rate=observation.rate,
        change_pct=observation.change_pct,
        accepted_at=moment,
        accepted_snapshot_id=observation.snapshot_id,
        last_seen=moment,
        last_seen_snapshot_id=observation.snapshot_id,
        history=(RateRun(observation.rate, moment, moment),),
    )


def _seen(state: TickerState, observation: TickerObservation, history: tuple[RateRun, ...]) -> TickerState:
    """The state after a sighting newer than last_seen: live again, with the given history."""
    return evolve(
        state,
        last_seen=observation.event_time,
        last_seen_snapshot_id=observation.snapshot_id,
        history=history,
        stale_since=None,
    )


def _extend_current_run(history: tuple[RateRun, ...], moment: datetime) -> tuple[RateRun, ...]:
    current = history[-1]
    return (*history[:-1], RateRun(current.rate, current.since, moment))


def _bounded(history: tuple[RateRun, ...], now: datetime, rules: StreamRules) -> tuple[RateRun, ...]:
    """Drop runs no future window can take as its reference, then cap the count: those last seen over two
    longest windows ago (a window's reference may be last seen up to a window length before its start).

    The current run is always kept. Event times only move forward for accepted rows, so a dropped run
    would never be a reference again. For the same reason the runs are in time order (each begins after
    the one before it ended), so the dropped runs are a prefix, found by bisection: this runs on every
    accepted row, over up to PAGEWIRE_HISTORY_LIMIT runs.
    """
    horizon = now - 2 * rules.longest_window
    first = bisect_left(history, horizon, hi=len(history) - 1, key=_until)
    return history[first:][-rules.history_limit :]


_until = attrgetter("until")
