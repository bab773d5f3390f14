"""Waiting between attempts: capped exponential backoff with jitter, and what a server's Retry-After asks."""

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def backoff_delay(attempt: int, base: float, cap: float, jitter: float) -> float:
    """Delay before retry `attempt` (0 = first retry): exponential, capped, the upper half jittered.

    `jitter` in [0, 1) comes from the caller's random source, so the schedule is testable and two
    producers that failed together do not retry in lock-step.
    """
    ceiling = min(cap, base * 2.0**attempt)
    return ceiling / 2 + ceiling / 2 * jitter


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """A Retry-After header as seconds from `now` (delta-seconds or an HTTP date); None when absent or bad."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())
