"""Builders for ticker observations and article sightings in unit and contract tests."""

from datetime import UTC, date, datetime, timedelta

from services.domain.articles.revisions import ArticleSighting
from services.domain.ticker.rows import TickerObservation

SITE = "timesca.com"
URL = "https://timesca.com/news/"
T0 = datetime(2025, 2, 19, 6, 0, tzinfo=UTC)


def at(hours: float = 0, *, days: float = 0, minutes: float = 0) -> datetime:
    """T0 (2025-02-19 06:00 UTC) plus an offset."""
    return T0 + timedelta(days=days, hours=hours, minutes=minutes)


def snapshot_id(label: str) -> str:
    """A distinct, valid 64-hex snapshot id per label."""
    return (label.encode().hex() * 64)[:64]


def observation(
    rate: str, change_pct: str = "0", when: datetime = T0, pair: str = "KGS/USD", snapshot: str = "s"
) -> TickerObservation:
    base, quote = pair.split("/")
    return TickerObservation(SITE, pair, base, quote, rate, change_pct, when, snapshot_id(snapshot), URL)


def sighting(
    title: str, body: str, when: datetime = T0, snapshot: str = "s", truncated: bool = False
) -> ArticleSighting:
    return ArticleSighting(
        site=SITE,
        title=title,
        body=body,
        dateline=None,
        truncated=truncated,
        listing_date=date(2025, 2, 19),
        source_url=URL,
        snapshot_id=snapshot_id(snapshot),
        event_time=when,
    )
