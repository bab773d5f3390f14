"""Wire messages from domain values (ticker rows, rate deltas, staleness, alerts, articles, snapshot
summaries), and back for the messages a later stage reads (rate deltas, staleness, alerts)."""

# Each builder returns a plain dict valid against its schema in schemas/json (tests/contract checks it);
# encode it with services.common.codec. Numbers from pages stay decimal strings, times RFC 3339 UTC. The
# readers take a message the codec has already checked against its schema.

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from services.domain.alerts.alert import Alert, AlertDelivery, AlertEvent
from services.domain.articles.revisions import ArticleRevision
from services.domain.articles.taxonomy import Labels
from services.domain.decimals import decimal_text
from services.domain.errors import SchemaError
from services.domain.instants import format_instant, parse_instant, seconds
from services.domain.schema_ids import (
    ALERT,
    ALERT_DELIVERY,
    ARTICLE,
    RATE_DELTA,
    SNAPSHOT_SUMMARY,
    STALENESS,
    TICKER_ROW,
)
from services.domain.ticker.deltas import RateDelta, RateReading, WindowMove
from services.domain.ticker.rows import TickerObservation
from services.domain.ticker.staleness import Liveness, StalenessEvent


def ticker_row_message(row: TickerObservation) -> dict[str, Any]:
    """A distinct ticker row (pagewire.ticker_row/1); key: ticker_key(site, pair)."""
    return {
        "schema": TICKER_ROW,
        "snapshot_id": row.snapshot_id,
        "site": row.site,
        "pair": row.pair,
        "base": row.base,
        "quote": row.quote,
        "rate": row.rate,
        "change_pct": row.change_pct,
        "event_time": format_instant(row.event_time),
        "source_url": row.source_url,
    }


def rate_delta_message(delta: RateDelta) -> dict[str, Any]:
    """One accepted rate change (pagewire.rate_delta/1); key: ticker_key(site, pair)."""
    return {
        "schema": RATE_DELTA,
        "snapshot_id": delta.snapshot_id,
        "site": delta.site,
        "pair": delta.pair,
        "event_time": format_instant(delta.current.at),
        "previous_time": format_instant(delta.previous.at),
        "previous_rate": delta.previous.rate,
        "rate": delta.current.rate,
        "change": decimal_text(delta.change),
        "change_pct": decimal_text(delta.change_pct),
        "change_bps": decimal_text(delta.change_bps),
        "reported_change_pct": delta.current.change_pct,
        "previous_reported_change_pct": delta.previous.change_pct,
        "seconds_since_previous": seconds(delta.current.at - delta.previous.at),
        "tick_size": decimal_text(delta.tick_size),
        "change_ticks": delta.change_ticks,
        "quantised": delta.quantised,
        "windows": {name: _window(move) for name, move in delta.windows},
    }


def _window(move: WindowMove | None) -> dict[str, Any] | None:
    if move is None:
        return None
    return {
        "from_rate": move.from_rate,
        "from_time": format_instant(move.from_time),
        "change": decimal_text(move.change),
        "change_pct": decimal_text(move.change_pct),
        "change_ticks": move.change_ticks,
    }


def staleness_message(event: StalenessEvent) -> dict[str, Any]:
    """A (site, pair) went stale or recovered (pagewire.staleness/1); key: ticker_key(site, pair)."""
    return {
        "schema": STALENESS,
        "snapshot_id": event.snapshot_id,
        "site": event.site,
        "pair": event.pair,
        "state": event.state.value,
        "event_time": format_instant(event.event_time),
        "last_seen": format_instant(event.last_seen),
        "stale_after_seconds": seconds(event.stale_after),
        "silent_seconds": seconds(max(event.silent, timedelta(0))),
    }


def alert_message(alert: Alert) -> dict[str, Any]:
    """A firing or resolved alert (pagewire.alert/1); key: its group_key."""
    return {
        "schema": ALERT,
        "alert_id": alert.alert_id,
        "group_key": alert.group_key,
        "status": alert.status,
        "rule": alert.rule,
        "severity": alert.severity,
        "metric": alert.metric,
        "window": alert.window,
        "site": alert.site,
        "pair": alert.pair,
        "value": alert.value,
        "threshold": alert.threshold,
        "direction": alert.direction,
        "summary": alert.summary,
        "snapshot_id": alert.snapshot_id,
        "event_time": format_instant(alert.event_time),
    }


def alert_delivery_message(delivery: AlertDelivery) -> dict[str, Any]:
    """How one alert went to one destination (pagewire.alert_delivery/1); key: the alert_id."""
    alert = delivery.alert
    return {
        "schema": ALERT_DELIVERY,
        "alert_id": alert.alert_id,
        "destination": delivery.destination,
        "kind": delivery.kind,
        "outcome": delivery.outcome,
        "attempts": delivery.attempts,
        "status_code": delivery.status_code,
        "reason": delivery.reason,
        "snapshot_id": alert.snapshot_id,
        "event_time": format_instant(alert.event_time),
        "completed_at": format_instant(delivery.completed_at),
    }


def alert_of(message: Mapping[str, Any]) -> Alert:
    """The Alert in a pagewire.alert/1 message."""
    fields = {name: message[name] for name in Alert.__dataclass_fields__ if name != "event_time"}
    return Alert(**fields, event_time=parse_instant(message["event_time"]))


def alert_event_of(message: Mapping[str, Any]) -> AlertEvent:
    """The rate delta or staleness event in a pagewire.rate_delta/1 or pagewire.staleness/1 message."""
    if message["schema"] == RATE_DELTA:
        return _rate_delta_of(message)
    if message["schema"] == STALENESS:
        return StalenessEvent(
            site=message["site"],
            pair=message["pair"],
            state=Liveness(message["state"]),
            event_time=parse_instant(message["event_time"]),
            last_seen=parse_instant(message["last_seen"]),
            snapshot_id=message["snapshot_id"],
            stale_after=timedelta(seconds=message["stale_after_seconds"]),
        )
    raise SchemaError(
        f"alert rules read {RATE_DELTA} and {STALENESS} events, not {message['schema']!r}",
        reason="wrong_schema",
    )


def _rate_delta_of(message: Mapping[str, Any]) -> RateDelta:
    return RateDelta(
        site=message["site"],
        pair=message["pair"],
        snapshot_id=message["snapshot_id"],
        previous=RateReading(
            message["previous_rate"],
            message["previous_reported_change_pct"],
            parse_instant(message["previous_time"]),
        ),
        current=RateReading(
            message["rate"], message["reported_change_pct"], parse_instant(message["event_time"])
        ),
        change=Decimal(message["change"]),
        change_pct=Decimal(message["change_pct"]),
        change_bps=Decimal(message["change_bps"]),
        tick_size=Decimal(message["tick_size"]),
        change_ticks=message["change_ticks"],
        quantised=message["quantised"],
        windows=tuple((name, _window_of(move)) for name, move in message["windows"].items()),
    )


def _window_of(move: Mapping[str, Any] | None) -> WindowMove | None:
    if move is None:
        return None
    return WindowMove(
        from_rate=move["from_rate"],
        from_time=parse_instant(move["from_time"]),
        change=Decimal(move["change"]),
        change_pct=Decimal(move["change_pct"]),
        change_ticks=move["change_ticks"],
    )


def article_message(revision: ArticleRevision, labels: Labels) -> dict[str, Any]:
    """One article revision with its labels (pagewire.article/1); key: the article_id."""
    sighting = revision.sighting
    return {
        "schema": ARTICLE,
        "article_id": revision.article_id,
        "revision": revision.revision,
        "snapshot_id": sighting.snapshot_id,
        "site": sighting.site,
        "title": sighting.title,
        "body": sighting.body,
        "dateline": sighting.dateline,
        "truncated": sighting.truncated,
        "listing_date": None if sighting.listing_date is None else sighting.listing_date.isoformat(),
        "source_url": sighting.source_url,
        "first_seen": format_instant(revision.first_seen),
        "event_time": format_instant(sighting.event_time),
        "labels": labels.to_dict(),
    }


class PaginationLike(Protocol):
    """The parser's 'Viewing results first - last of total' line."""

    @property
    def first(self) -> int: ...
    @property
    def last(self) -> int: ...
    @property
    def total(self) -> int: ...


def snapshot_summary_message(
    *,
    snapshot_id: str,
    site: str,
    source_url: str,
    event_time: datetime,
    ticker_rows: int,
    ticker_repeats: int,
    articles: int,
    listing_date: date | None,
    pagination: PaginationLike | None,
    heading: str | None,
    warnings: Sequence[str],
    size: int,
    lines: int,
    dropped_lines: int,
) -> dict[str, Any]:
    """What the parser found in one snapshot, without the body (pagewire.snapshot_summary/1); key: site."""
    return {
        "schema": SNAPSHOT_SUMMARY,
        "snapshot_id": snapshot_id,
        "site": site,
        "source_url": source_url,
        "event_time": format_instant(event_time),
        "ticker_rows": ticker_rows,
        "ticker_repeats": ticker_repeats,
        "articles": articles,
        "listing_date": None if listing_date is None else listing_date.isoformat(),
        "pagination": None
        if pagination is None
        else {"first": pagination.first, "last": pagination.last, "total": pagination.total},
        "heading": heading,
        "warnings": list(warnings),
        "size": size,
        "lines": lines,
        "dropped_lines": dropped_lines,
    }
