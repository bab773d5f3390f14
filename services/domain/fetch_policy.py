"""Pure producer policy: source names, fetch times, content types, backoff, rate limits, address guard."""

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from services.domain.errors import PagewireError

IPAddress = IPv4Address | IPv6Address

ALLOWED_SCHEMES = frozenset({"http", "https"})
MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# 408/425/429 and the gateway family are transient; other 4xx and 501/505 will not change on a retry
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
# base64 grows a body by 4/3; the rest of the envelope and the record framing fit in this margin
ENVELOPE_OVERHEAD_BYTES = 16_384

_NAME_INSTANT = re.compile(r"^(\d{8}T\d{6}Z)")
_EXTENSION_TYPES = {".html": "text/html", ".htm": "text/html", ".txt": "text/plain"}
_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<meta", b"<div", b"<p>")
_SECRET_PARAM = re.compile(r"(token|key|secret|pass|auth|sig|session|credential)", re.IGNORECASE)
_NAT64 = IPv6Network("64:ff9b::/96")
_SHARED_V4 = IPv4Network("100.64.0.0/10")


class FetchError(PagewireError):
    """A source that could not be read or fetched."""

    reason = "fetch_failed"


class SourceRefused(FetchError):
    """A source pagewire will not fetch: a scheme other than http(s) or a non-public address."""

    reason = "refused"


class BodyTooLarge(FetchError):
    """A body over the configured size cap."""

    reason = "too_large"


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


def is_url(source: str) -> bool:
    """True for anything written as scheme://..., so `ftp://x` is refused rather than read as a file name."""
    return "://" in source and bool(urlsplit(source).scheme)


def check_scheme(url: str) -> None:
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise SourceRefused(f"refused {display_url(url)}: only http and https are fetched, not {scheme!r}")


def display_url(url: str) -> str:
    """The URL without user:password and with secret-looking query values masked: safe for logs and Kafka."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host + (f":{port}" if port is not None else "")
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = parts.query
    if any(_SECRET_PARAM.search(name) for name, _ in pairs):
        query = urlencode([(name, "****" if _SECRET_PARAM.search(name) else value) for name, value in pairs])
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def site_from_url(url: str) -> str:
    """The lower-cased host of a URL without port or trailing dot: the key that keeps one site in order."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if not host:
        raise SourceRefused(f"refused {display_url(url)}: the URL has no host")
    return host


def fetched_at_from_name(name: str) -> datetime | None:
    """'20250219T060000Z-seed.txt' -> 2025-02-19 06:00 UTC; None without a valid leading UTC timestamp."""
    match = _NAME_INSTANT.match(name)
    if not match:
        return None
    try:
        return datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def parse_content_type(header: str | None) -> tuple[str | None, str | None]:
    """'text/HTML; charset="UTF-8"' -> ('text/html', 'utf-8'); (None, None) for a missing header."""
    if not header:
        return None, None
    media, *params = header.split(";")
    charset = None
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"'):
            charset = value.strip().strip('"').lower()
    return (media.strip().lower() or None), charset


def content_type_for(name: str | None, body: bytes) -> str:
    """By extension (.html/.htm, .txt), else sniffed: HTML markers near the start, text, or octet-stream."""
    if name:
        suffix = name[name.rfind(".") :].lower() if "." in name else ""
        if suffix in _EXTENSION_TYPES:
            return _EXTENSION_TYPES[suffix]
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if any(marker in head for marker in _HTML_MARKERS):
        return "text/html"
    if b"\x00" in body[:8192]:
        return "application/octet-stream"
    return "text/plain"


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


def retry_wait(attempt: int, base: float, cap: float, jitter: float, retry_after: float | None) -> float:
    """The wait before a retry: the server's Retry-After when longer than our backoff, never above `cap`."""
    delay = backoff_delay(attempt, base, cap, jitter)
    return min(cap, max(delay, retry_after)) if retry_after is not None else delay


def rate_limit_wait(last_request_at: float | None, now: float, min_interval: float) -> float:
    """Seconds to wait so two requests to one host start at least `min_interval` apart (monotonic clock)."""
    if last_request_at is None:
        return 0.0
    return max(0.0, last_request_at + min_interval - now)


def envelope_fits(max_body_bytes: int, max_request_bytes: int) -> bool:
    """Whether a body at the cap still fits one Kafka request once base64-encoded into its envelope."""
    return math.ceil(max_body_bytes / 3) * 4 + ENVELOPE_OVERHEAD_BYTES <= max_request_bytes


def address_refusal(address: IPAddress) -> str | None:
    """Why a connection to `address` is refused for URL sources, or None for a public address."""
    if isinstance(address, IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            inner = address_refusal(embedded)
            return f"{inner} (IPv4 {embedded} inside IPv6)" if inner else None
        if address.is_site_local:
            return "site-local"
    for reason, matches in (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        ("shared (carrier-grade NAT)", isinstance(address, IPv4Address) and address in _SHARED_V4),
        ("not globally routable", not address.is_global),
    ):
        if matches:
            return reason
    return None


def check_addresses(host: str, addresses: list[IPAddress], allow_private: bool) -> None:
    """Refuse `host` when any of its addresses is refused: a name with one private address is not public."""
    if not addresses:
        raise FetchError(f"{host} has no address", reason="dns")
    if allow_private:
        return
    for address in addresses:
        reason = address_refusal(address)
        if reason:
            raise SourceRefused(
                f"refused {host}: {address} is {reason}; pass --allow-private "
                "(PAGEWIRE_PRODUCER_ALLOW_PRIVATE=true) to fetch from private networks"
            )


def _embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    # the socket ends up at the IPv4 address these forms carry, so that address is what gets judged
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour
