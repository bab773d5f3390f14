"""Fetching a URL politely: redirects followed, statuses retried, conditional GETs, per-host pacing."""

from dataclasses import dataclass

from services.domain.backoff import backoff_delay

MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# 408/425/429 and the gateway family are transient; other 4xx and 501/505 will not change on a retry
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Validators:
    """What the last delivered fetch of a URL said about its body, for conditional GETs and change checks."""

    etag: str | None
    last_modified: str | None
    snapshot_id: str

    def conditional_headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


def fetch_retry_wait(
    attempt: int, base: float, cap: float, jitter: float, retry_after: float | None
) -> float:
    """The wait before a retry: the server's Retry-After when longer than our backoff, never above `cap`."""
    delay = backoff_delay(attempt, base, cap, jitter)
    return min(cap, max(delay, retry_after)) if retry_after is not None else delay


def rate_limit_wait(last_request_at: float | None, now: float, min_interval: float) -> float:
    """Seconds to wait so two requests to one host start at least `min_interval` apart (monotonic clock)."""
    if last_request_at is None:
        return 0.0
    return max(0.0, last_request_at + min_interval - now)
