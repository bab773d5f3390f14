"""Wire messages from domain values: ticker rows, rate deltas, staleness, articles, snapshot summaries."""

# Each builder returns a plain dict valid against its schema in schemas/json (tests/contract checks it);
# encode it with services.common.codec. Numbers from pages stay decimal strings, times RFC 3339 UTC.

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from services.domain.articles import ArticleRevision
from services.domain.decimals import decimal_text
from services.domain.deltas import RateDelta, WindowMove
from services.domain.instants import format_instant
from services.domain.staleness import StalenessEvent
from services.domain.taxonomy import Labels
from services.domain.ticker import TickerObservation

TICKER_ROW = "pagewire.ticker_row/1"
RATE_DELTA = "pagewire.rate_delta/1"
STALENESS = "pagewire.staleness/1"
ARTICLE = "pagewire.article/1"
SNAPSHOT_SUMMARY = "pagewire.snapshot_summary/1"


def seconds(span: timedelta) -> int | float:
    """A duration in seconds for JSON: whole seconds as an integer (3600, not 3600.0)."""
    total = span.total_seconds()
    return int(total) if total.is_integer() else total


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
    warnings: Sequence[str],
    size: int,
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
        "warnings": list(warnings),
        "size": size,
    }
