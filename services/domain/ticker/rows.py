"""Ticker rows and the state kept per (site, pair): validated observations, JSON-serialisable state."""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from services.domain.decimals import parse_decimal
from services.domain.errors import ParseError, SchemaError
from services.domain.instants import format_instant, parse_instant
from services.domain.ticker.currencies import is_currency
from services.domain.ticker.deltas import RateReading, RateRun

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
        problem = _problem(self)
        if problem:
            raise ParseError(f"ticker observation: {problem}", reason="invalid_observation")

    @property
    def key(self) -> str:
        return ticker_key(self.site, self.pair)

    @property
    def reading(self) -> RateReading:
        return RateReading(self.rate, self.change_pct, self.event_time)


def _problem(row: TickerObservation) -> str | None:
    pair = _PAIR.match(row.pair)
    if not row.site or row.site != row.site.lower() or len(row.site) > 253:
        return f"site {row.site!r} is not a lower-case host name"
    if not pair:
        return f"pair {row.pair!r} is not BASE/QUOTE"
    if pair.groups() != (row.base, row.quote):
        return f"base/quote {row.base}/{row.quote} do not match pair {row.pair}"
    unknown = [code for code in pair.groups() if not is_currency(code)]
    if unknown:
        return f"pair {row.pair}: not ISO 4217 currency code(s): {', '.join(unknown)}"
    if row.event_time.tzinfo is None:
        return "event_time must be timezone-aware"
    if not _SNAPSHOT_ID.match(row.snapshot_id):
        return f"snapshot_id {row.snapshot_id!r} is not 64 hex digits"
    try:
        if parse_decimal(row.rate) <= 0:
            return f"rate {row.rate} is not positive"
        parse_decimal(row.change_pct)
    except ParseError as exc:
        return str(exc)
    return None


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
