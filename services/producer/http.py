"""The URL fetcher: polite conditional GETs with retries, a body cap and guarded redirects."""

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Self
from urllib.parse import urljoin, urlsplit

import httpx

from services.common.settings import ProducerSettings
from services.domain.backoff import retry_after_seconds
from services.domain.errors import BodyTooLarge, FetchError
from services.domain.page.snapshot import Snapshot
from services.domain.sources.content import content_type_for, parse_content_type
from services.domain.sources.fetching import (
    MAX_REDIRECTS,
    REDIRECT_STATUSES,
    RETRYABLE_STATUSES,
    Validators,
    fetch_retry_wait,
)
from services.domain.sources.urls import check_scheme, display_url, site_from_url
from services.producer.ratelimit import HostRateLimiter
from services.producer.ssrf import AddressGuard, GuardedTransport, Resolver, system_resolver

log = logging.getLogger(__name__)

_ACCEPT = "text/html, application/xhtml+xml;q=0.9, text/plain;q=0.8, */*;q=0.1"


@dataclass(frozen=True)
class FetchOutcome:
    """A new snapshot of a URL, or none because the page did not change; validators to remember either way."""

    snapshot: Snapshot | None
    validators: Validators | None

    @property
    def unchanged(self) -> bool:
        return self.snapshot is None


@dataclass(frozen=True)
class _Response:
    """What one GET answered, read and closed: the body only for 2xx, the location only for redirects."""

    status: int
    reason: str
    headers: httpx.Headers
    body: bytes | None
    location: str | None


class Fetcher:
    """Fetches URL sources; one instance per process so the per-host rate limit and connections are shared."""

    def __init__(
        self,
        settings: ProducerSettings,
        *,
        allow_private: bool | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        resolver: Resolver = system_resolver,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._settings = settings
        self._guard = AddressGuard(
            settings.allow_private if allow_private is None else allow_private, resolver
        )
        self._sleep = sleep
        self._jitter = jitter
        self._now = now
        self._limiter = HostRateLimiter(settings.per_host_interval_seconds, clock=clock, sleep=sleep)
        self._client = httpx.AsyncClient(
            transport=transport or GuardedTransport(self._guard),
            timeout=httpx.Timeout(settings.read_timeout_seconds, connect=settings.connect_timeout_seconds),
            headers={"User-Agent": settings.user_agent, "Accept": _ACCEPT},
            follow_redirects=False,  # followed below, so every hop goes through the address guard
            trust_env=False,
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(self, url: str, previous: Validators | None = None) -> FetchOutcome:
        """GET `url` (conditionally when `previous` is known); FetchError with the source named on failure."""
        shown = display_url(url)
        current = url
        try:
            for _ in range(MAX_REDIRECTS + 1):
                check_scheme(current)
                response = await self._get(current, previous)
                if response.location is None:
                    return self._outcome(url, current, response, previous)
                current = urljoin(current, response.location)
                log.debug("%s redirects to %s", shown, display_url(current))
            raise FetchError(f"more than {MAX_REDIRECTS} redirects", reason="redirects")
        except FetchError as exc:
            hop = f" (redirected to {display_url(current)})" if current != url else ""
            raise type(exc)(f"{shown}{hop}: {exc}", reason=exc.reason) from exc

    async def _get(self, url: str, previous: Validators | None) -> _Response:
        """One hop: guard the host, then GET with retries on timeouts, network errors, 429 and 5xx."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        await self._guard.checked_addresses(host, parts.port or (443 if parts.scheme == "https" else 80))
        headers = previous.conditional_headers() if previous else {}
        retries = self._settings.retries
        for attempt in range(retries + 1):
            await self._limiter.wait(host)
            try:
                response = await self._attempt(url, headers)
            except httpx.TransportError as exc:
                reason = "timeout" if isinstance(exc, httpx.TimeoutException) else "network"
                if attempt == retries:
                    detail = str(exc) or type(exc).__name__
                    tries = f"{attempt + 1} attempts" if attempt else "1 attempt"
                    raise FetchError(f"{reason} after {tries}: {detail}", reason=reason) from exc
                await self._sleep(self._wait(attempt, None))
                continue
            if response.status in RETRYABLE_STATUSES and attempt < retries:
                retry_after = retry_after_seconds(response.headers.get("retry-after"), self._now())
                await self._sleep(self._wait(attempt, retry_after))
                continue
            return response
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _wait(self, attempt: int, retry_after: float | None) -> float:
        settings = self._settings
        return fetch_retry_wait(
            attempt, settings.backoff_base_seconds, settings.backoff_max_seconds, self._jitter(), retry_after
        )

    async def _attempt(self, url: str, headers: dict[str, str]) -> _Response:
        try:
            async with self._client.stream("GET", url, headers=headers) as response:
                status, reason = response.status_code, response.reason_phrase
                if status in REDIRECT_STATUSES and response.headers.get("location"):
                    return _Response(status, reason, response.headers, None, response.headers["location"])
                body = await self._read_capped(response) if 200 <= status < 300 else None
                return _Response(status, reason, response.headers, body, None)
        except httpx.DecodingError as exc:
            raise FetchError(f"body could not be decoded: {exc}", reason="decoding") from exc
        except httpx.InvalidURL as exc:
            raise FetchError(f"invalid URL: {exc}", reason="invalid_url") from exc

    async def _read_capped(self, response: httpx.Response) -> bytes:
        """The decoded body, reading no further than one chunk past the cap."""
        cap = self._settings.max_body_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise BodyTooLarge(f"body of {int(declared)} bytes (Content-Length) is over the {cap}-byte cap")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > cap:
                raise BodyTooLarge(f"body is over the {cap}-byte cap (stopped reading at {size} bytes)")
            chunks.append(chunk)
        return b"".join(chunks)

    def _outcome(
        self, url: str, final: str, response: _Response, previous: Validators | None
    ) -> FetchOutcome:
        if response.status == 304 and previous is not None:
            return FetchOutcome(None, previous)
        if response.body is None:
            raise FetchError(f"HTTP {response.status} {response.reason}".rstrip(), reason="http_status")
        media_type, charset = parse_content_type(response.headers.get("content-type"))
        snapshot = Snapshot(
            body=response.body,
            source_url=display_url(url),
            site=site_from_url(url),
            fetched_at=self._now(),
            content_type=media_type or content_type_for(urlsplit(final).path, response.body),
            charset=charset,
        )
        validators = Validators(
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
            snapshot_id=snapshot.snapshot_id,
        )
        if previous is not None and previous.snapshot_id == snapshot.snapshot_id:
            return FetchOutcome(None, validators)
        return FetchOutcome(snapshot, validators)
