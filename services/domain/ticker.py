"""Ticker dedupe: the state kept per (site, pair) and the rule that turns an observation into output."""

import re
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from services.domain.decimals import parse_decimal
from services.domain.deltas import RateDelta, RateReading, RateRun, compute_delta
from services.domain.errors import ParseError, SchemaError
from services.domain.instants import format_instant, parse_instant
from services.domain.staleness import StalenessEvent, detect_recovery, detect_stale
from services.domain.stream_rules import StreamRules

STATE_VERSION = 1
_PAIR = re.compile(r"^([A-Z]{3})/([A-Z]{3})$")
_SNAPSHOT_ID = re.compile(r"^[0-9a-f]{64}$")


def ticker_key(site: str, pair: str) -> str:
    """The Kafka key and table key of a (site, pair): 'timesca.com|KGS/USD'."""
    return f"{site}|{pair}"


@dataclass(frozen=True)
class TickerObservation:
    """One distinct ticker row of one snapshot; rate and change_pct exactly as printed."""

    site: str
    pair: str
    base: str
    quote: str
    rate: str
    change_pct: str
    event_time: datetime
    snapshot_id: str
    source_url: str

    def __post_init__(self) -> None:
        pair = _PAIR.match(self.pair)
        problem = (
            "site must be a non-empty lower-case host name"
            if not self.site or self.site != self.site.lower() or len(self.site) > 253
            else f"pair {self.pair!r} is not BASE/QUOTE"
            if not pair
            else f"base/quote {self.base}/{self.quote} do not match pair {self.pair}"
            if pair.groups() != (self.base, self.quote)
            else "event_time must be timezone-aware"
            if self.event_time.tzinfo is None
            else "snapshot_id must be 64 hex digits"
            if not _SNAPSHOT_ID.match(self.snapshot_id)
            else None
        )
        parse_decimal(self.change_pct)
        if problem is None and parse_decimal(self.rate) <= 0:
            problem = f"rate {self.rate} is not positive"
        if problem:
            raise ParseError(f"ticker observation: {problem}", reason="invalid_observation")

    @property
    def key(self) -> str:
        return ticker_key(self.site, self.pair)

    @property
    def reading(self) -> RateReading:
        return RateReading(self.rate, self.change_pct, self.event_time)


class QuoteLike(Protocol):
    """What the page parser yields for one ticker row (its TickerQuote)."""

    @property
    def pair(self) -> str: ...
    @property
    def base(self) -> str: ...
    @property
    def quote(self) -> str: ...
    @property
    def rate(self) -> str: ...
    @property
    def change_pct(self) -> str: ...


def observation_from_quote(
    quote: QuoteLike, *, site: str, event_time: datetime, snapshot_id: str, source_url: str
) -> TickerObservation:
    """A parsed ticker row plus its snapshot's provenance."""
    return TickerObservation(
        site=site,
        pair=quote.pair,
        base=quote.base,
        quote=quote.quote,
        rate=quote.rate,
        change_pct=quote.change_pct,
        event_time=event_time,
        snapshot_id=snapshot_id,
        source_url=source_url,
    )


@dataclass(frozen=True)
class TickerState:
    """What a (site, pair) remembers: the last accepted row, the last sighting, liveness and rate history."""

    site: str
    pair: str
    rate: str
    change_pct: str
    accepted_at: datetime
    accepted_snapshot_id: str
    last_seen: datetime
    last_seen_snapshot_id: str
    history: tuple[RateRun, ...]
    stale_since: datetime | None = None
    duplicates: int = 0
    late: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types only, for the table's changelog."""
        return {
            "version": STATE_VERSION,
            "site": self.site,
            "pair": self.pair,
            "rate": self.rate,
            "change_pct": self.change_pct,
            "accepted_at": format_instant(self.accepted_at),
            "accepted_snapshot_id": self.accepted_snapshot_id,
            "last_seen": format_instant(self.last_seen),
            "last_seen_snapshot_id": self.last_seen_snapshot_id,
            "history": [run.to_dict() for run in self.history],
            "stale_since": None if self.stale_since is None else format_instant(self.stale_since),
            "duplicates": self.duplicates,
            "late": self.late,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TickerState":
        try:
            if data["version"] != STATE_VERSION:
                raise SchemaError(f"ticker state version {data['version']!r} is not {STATE_VERSION}")
            stale_since = data["stale_since"]
            return cls(
                site=data["site"],
                pair=data["pair"],
                rate=data["rate"],
                change_pct=data["change_pct"],
                accepted_at=parse_instant(data["accepted_at"]),
                accepted_snapshot_id=data["accepted_snapshot_id"],
                last_seen=parse_instant(data["last_seen"]),
                last_seen_snapshot_id=data["last_seen_snapshot_id"],
                history=tuple(RateRun.from_dict(run) for run in data["history"]),
                stale_since=None if stale_since is None else parse_instant(stale_since),
                duplicates=int(data["duplicates"]),
                late=int(data["late"]),
            )
        except (KeyError, TypeError) as exc:
            raise SchemaError(f"ticker state is missing or mistypes {exc}", reason="invalid_state") from exc


class Outcome(StrEnum):
    FIRST = "first"  # no state yet: a row, no delta
    CHANGED = "changed"  # rate or reported change differs: a row, and a delta when the rate differs
    DUPLICATE = "duplicate"  # same rate and change: nothing out, last_seen refreshed
    LATE = "late"  # older than what was accepted: counted, skipped


@dataclass(frozen=True)
class TickerOutcome:
    """What one observation did: the state to store and what to emit (row, delta, recovered event)."""

    kind: Outcome
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
      emitted; when it is the newest sighting it refreshes last_seen (and recovers a stale pair).
    - LATE: older than the last accepted row; or differing from it while older than the newest
      sighting (a newer snapshot already confirmed the accepted values, so taking this one would go
      back in time). Counted and skipped; never a delta.
    - CHANGED: anything else. A new row; a delta only when the rate differs. A change of only the
      page-reported change_pct is a new row (ticker.rows carries what the page printed) but no delta
      (rates.deltas is about the rate; a zero move would only be noise for alerts and windows).
    Equal event times are not late: with the same values that is a duplicate, with other values a change.
    """
    if state is None:
        return TickerOutcome(Outcome.FIRST, "first", _first_state(observation), row=observation)
    if (state.site, state.pair) != (observation.site, observation.pair):
        other = ticker_key(state.site, state.pair)
        raise ValueError(f"observation of {observation.key} given the state of {other}")
    moment = observation.event_time
    if moment < state.accepted_at:
        return TickerOutcome(Outcome.LATE, "older_than_accepted", replace(state, late=state.late + 1))
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
        counted = replace(state, duplicates=state.duplicates + 1)
        if moment <= state.last_seen:
            return TickerOutcome(Outcome.DUPLICATE, "not_newer_than_last_seen", counted)
        refreshed = _seen(counted, observation, _extend_current_run(state.history, moment))
        return TickerOutcome(Outcome.DUPLICATE, "refreshed", refreshed, recovered=recovered)
    if moment < state.last_seen:
        return TickerOutcome(Outcome.LATE, "superseded", replace(state, late=state.late + 1))
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
    accepted = replace(
        _seen(state, observation, _bounded(history, moment, rules)),
        rate=observation.rate,
        change_pct=observation.change_pct,
        accepted_at=moment,
        accepted_snapshot_id=observation.snapshot_id,
    )
    reason = "rate_changed" if rate_changed else "reported_change_only"
    return TickerOutcome(Outcome.CHANGED, reason, accepted, observation, delta, recovered)


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
    return (state, None) if event is None else (replace(state, stale_since=now), event)


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
    return replace(
        state,
        last_seen=observation.event_time,
        last_seen_snapshot_id=observation.snapshot_id,
        history=history,
        stale_since=None,
    )


def _extend_current_run(history: tuple[RateRun, ...], moment: datetime) -> tuple[RateRun, ...]:
    return (*history[:-1], replace(history[-1], until=moment))


def _bounded(history: tuple[RateRun, ...], now: datetime, rules: StreamRules) -> tuple[RateRun, ...]:
    """Drop runs last seen before the longest window (no future window can reach them), then cap the count.

    The current run is always kept. Event times only move forward for accepted rows, so a dropped run
    would never be inside a window again.
    """
    horizon = now - rules.longest_window
    kept = tuple(run for run in history[:-1] if run.until >= horizon) + history[-1:]
    return kept[-rules.history_limit :]
