"""Source URLs: which are URLs, which schemes are fetched, a URL's site, how a URL is shown safely."""

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from services.domain.errors import SourceRefused

ALLOWED_SCHEMES = frozenset({"http", "https"})
_SECRET_PARAM = re.compile(r"(token|key|secret|pass|auth|sig|session|credential)", re.IGNORECASE)


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
