"""Alert delivery policy: what an answer means (delivered, retry, refused), how long to wait, when to stop."""

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Final, Literal

from services.domain.backoff import backoff_delay, retry_after_seconds

Verdict = Literal["delivered", "retry", "refused"]

#: machine-friendly reasons of a failed delivery (dead letters, alerts.deliveries, metric labels)
DEADLINE_EXCEEDED: Final = "deadline_exceeded"
ATTEMPTS_EXHAUSTED: Final = "attempts_exhausted"
REJECTED: Final = "rejected"

# 408 and 429 say "later"; every other 4xx will be refused again, so retrying only delays the dead letter
_RETRY_4XX: Final = frozenset({408, 429})
_DECIMAL_SECONDS = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*$")


def verdict(status: int) -> Verdict:
    """2xx delivered; 408, 429 and 5xx retried; anything else refused for good.

    3xx counts as refused: chat webhooks do not redirect, and following one would send the signed body
    to a host nobody configured.
    """
    if 200 <= status < 300:
        return "delivered"
    if status in _RETRY_4XX or status >= 500:
        return "retry"
    return "refused"


def retry_after(headers: Mapping[str, str], now: datetime) -> float | None:
    """Retry-After as seconds from `now`: delta-seconds (decimals too) or an HTTP date; None if absent/bad."""
    value = _header(headers, "retry-after")
    if value is None:
        return None
    decimal = _DECIMAL_SECONDS.match(value)
    if decimal:
        return float(decimal.group(1))
    return retry_after_seconds(value, now)


def discord_reset_after(headers: Mapping[str, str]) -> float | None:
    """Discord's X-RateLimit-Reset-After: seconds (with decimals) until the webhook's bucket refills."""
    value = _header(headers, "x-ratelimit-reset-after")
    decimal = _DECIMAL_SECONDS.match(value) if value is not None else None
    return float(decimal.group(1)) if decimal else None


def body_retry_after(body: bytes) -> float | None:
    """`retry_after` of a JSON rate-limit body (Discord's 429 answer), in seconds; None if there is none."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    value = document.get("retry_after") if isinstance(document, dict) else None
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return None


def server_wait(status: int, headers: Mapping[str, str], body: bytes, now: datetime) -> float | None:
    """How long the server asked us to wait before the next attempt, or None when it did not say.

    Headers win over the body: Discord's JSON retry_after was in milliseconds before API v8, while its
    Retry-After and X-RateLimit-Reset-After headers have always been seconds. Slack and Teams send
    Retry-After with their 429s; a 503 may carry one too.
    """
    if status != 429:
        return retry_after(headers, now)
    asked = [wait for wait in (retry_after(headers, now), discord_reset_after(headers)) if wait is not None]
    return max(asked) if asked else body_retry_after(body)


def pacing_hold(headers: Mapping[str, str]) -> float | None:
    """Seconds to hold the next request after a successful one: Discord says when its bucket is empty."""
    if _header(headers, "x-ratelimit-remaining") == "0":
        return discord_reset_after(headers)
    return None


def delivery_retry_wait(retry: int, base: float, cap: float, jitter: float, asked: float | None) -> float:
    """Wait before retry number `retry` (0 = first): jittered exponential backoff, or longer when asked.

    Unlike the producer, a server's wait is not capped: a chat that rate-limits us and sees us come back
    early keeps refusing, and Slack may disable a webhook that ignores its Retry-After.
    """
    delay = backoff_delay(retry, base, cap, jitter)
    return delay if asked is None else max(delay, asked)


def give_up(attempts: int, max_attempts: int, elapsed: float, wait: float, deadline: float) -> str | None:
    """Why no further attempt is made (attempts_exhausted, deadline_exceeded), or None to retry.

    A wait that would end past the deadline gives up now: sleeping first changes nothing but the delay.
    """
    if attempts >= max_attempts:
        return ATTEMPTS_EXHAUSTED
    if elapsed + wait >= deadline:
        return DEADLINE_EXCEEDED
    return None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value.strip()
    return None
