"""URL sources that can never be fetched, found before anything starts: `pagewire produce` refuses them."""

from collections.abc import Sequence
from urllib.parse import urlsplit

from services.domain.errors import FetchError, SourceRefused
from services.domain.sources.urls import check_scheme, display_url, site_from_url
from services.producer.ssrf import AddressGuard

_DEFAULT_PORTS = {"http": 80, "https": 443}


async def refused_sources(urls: Sequence[str], guard: AddressGuard) -> list[str]:
    """One line per URL that no retry can make work: a scheme other than http(s), no host, a malformed
    port, or a host the address guard refuses (private, loopback, link-local, unless allowed). A name
    that does not resolve now is not among them: DNS may answer later, and the poll retries it."""
    problems: list[str] = []
    for url in urls:
        try:
            check_scheme(url)
            site_from_url(url)
            parts = urlsplit(url)
            try:
                port = parts.port or _DEFAULT_PORTS[parts.scheme.lower()]
            except ValueError as exc:
                raise SourceRefused(f"refused {display_url(url)}: malformed URL: {exc}") from exc
            await guard.checked_addresses(parts.hostname or "", port)
        except SourceRefused as exc:
            problems.append(str(exc))
        except FetchError:
            continue  # a runtime failure (DNS): retried with the polls, shown on /readyz and the metrics
    return problems
