"""The address guard for URL sources: refuse non-public addresses, connect only to checked ones."""

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable

import httpcore
import httpx

from services.domain.errors import FetchError
from services.domain.sources.address_guard import IPAddress, check_addresses

Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]


async def system_resolver(host: str, port: int) -> list[IPAddress]:
    """Every address the system resolver gives for `host`, in its preference order, without repeats."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise FetchError(f"cannot resolve {host}: {exc.strerror}", reason="dns") from exc
    found: list[IPAddress] = []
    for *_, sockaddr in infos:
        # scoped IPv6 literals come back as 'fe80::1%eth0'; the scope does not change the policy
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found


class AddressGuard:
    """Resolves a host and refuses it when any of its addresses is not public (unless allowed)."""

    def __init__(self, allow_private: bool, resolver: Resolver = system_resolver) -> None:
        self.allow_private = allow_private
        self._resolver = resolver

    async def checked_addresses(self, host: str, port: int) -> list[IPAddress]:
        """The addresses of `host`, every one of them allowed, or SourceRefused / FetchError."""
        bare = host.strip("[]")
        try:
            addresses: list[IPAddress] = [ipaddress.ip_address(bare)]
        except ValueError:
            addresses = await self._resolver(bare, port)
        check_addresses(bare, addresses, self.allow_private)
        return addresses


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """A network backend that connects to the addresses the guard checked, never to a fresh DNS answer.

    Connecting to the very address that was checked closes the DNS-rebinding gap between "check the
    name" and "connect to the name". TLS still verifies the certificate against the host name, because
    httpcore passes the request's host as server_hostname when it starts TLS on the stream we return.
    """

    def __init__(self, guard: AddressGuard, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._guard = guard
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._guard.checked_addresses(host, port)
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc  # try the host's next address, as a browser would
        assert failure is not None  # checked_addresses never returns an empty list
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise FetchError("unix sockets are not URL sources", reason="refused")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with the guarded backend and no proxies from the environment.

    httpx has no public knob for the network backend, so the pool is rebuilt with the same options;
    tests/integration/test_producer_http.py fails if this stops routing connections through the guard.
    Environment proxies are off: a proxy would make the connection (and the check) go to the proxy.
    """

    def __init__(
        self, guard: AddressGuard, limits: httpx.Limits | None = None, verify: ssl.SSLContext | None = None
    ) -> None:
        limits = limits or httpx.Limits(max_connections=20, max_keepalive_connections=10)
        super().__init__(trust_env=False, limits=limits)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=verify or httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(guard),
        )
