"""The SSRF guard: which addresses a URL source may reach (public ones, unless private ones are allowed)."""

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

from services.domain.errors import FetchError, SourceRefused

IPAddress = IPv4Address | IPv6Address
_NAT64 = IPv6Network("64:ff9b::/96")
_SHARED_V4 = IPv4Network("100.64.0.0/10")


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
