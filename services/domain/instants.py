"""Event-time instants on the wire: RFC 3339 UTC strings ending in Z."""

from datetime import UTC, datetime, timedelta
from functools import lru_cache

from services.domain.errors import SchemaError


@lru_cache(maxsize=8192)  # states carry the same instants snapshot after snapshot
def format_instant(moment: datetime) -> str:
    """Render an aware datetime as UTC, with microseconds only when it has them."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: event times must be timezone-aware")
    utc = moment.astimezone(UTC)
    timespec = "microseconds" if utc.microsecond else "seconds"
    return utc.replace(tzinfo=None).isoformat(timespec=timespec) + "Z"


@lru_cache(maxsize=8192)
def parse_instant(text: str) -> datetime:
    """Parse an RFC 3339 instant (Z or an offset) into an aware UTC datetime."""
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError) as exc:
        raise SchemaError(f"not an RFC 3339 instant: {text!r}", reason="invalid_time") from exc
    if moment.tzinfo is None:
        raise SchemaError(f"instant without a UTC offset: {text!r}", reason="invalid_time")
    return moment.astimezone(UTC)


def seconds(span: timedelta) -> int | float:
    """A duration in seconds for JSON: whole seconds as an integer (3600, not 3600.0)."""
    total = span.total_seconds()
    return int(total) if total.is_integer() else total
