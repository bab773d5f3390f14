"""The address guard on real connections: sockets go only to the addresses that were checked."""

import ssl
import subprocess
from ipaddress import ip_address
from pathlib import Path

import pytest
from aiohttp import web

from services.common.settings import ProducerSettings
from services.domain.errors import FetchError, SourceRefused
from services.domain.sources.address_guard import IPAddress
from services.producer.http import Fetcher
from services.producer.ssrf import AddressGuard, GuardedBackend, GuardedTransport
from tests.support.page_server import PageServer, page_server

SETTINGS = ProducerSettings(retries=0, per_host_interval_seconds=0.0)
PAGE = b"<p>guarded</p>"


async def ok(request: web.Request, server: PageServer) -> web.StreamResponse:
    return web.Response(body=PAGE, content_type="text/html")


async def test_connections_go_to_the_checked_address_not_a_fresh_lookup() -> None:
    async def resolver(host: str, port: int) -> list[IPAddress]:
        # .invalid never resolves in real DNS: reaching the server proves the socket used this answer
        assert host == "pagewire-guard.invalid"
        return [ip_address("127.0.0.2"), ip_address("127.0.0.1")]

    async with page_server(ok) as server:
        url = server.url.replace("127.0.0.1", "pagewire-guard.invalid")
        async with Fetcher(SETTINGS, allow_private=True, resolver=resolver) as fetcher:
            outcome = await fetcher.fetch(url)

    assert outcome.snapshot is not None and outcome.snapshot.body == PAGE
    assert outcome.snapshot.site == "pagewire-guard.invalid"
    assert [headers["Host"] for headers in server.requests] == [url.split("/")[2]]


async def test_a_name_that_rebinds_to_loopback_after_the_check_is_refused_at_connect() -> None:
    answers = iter([[ip_address("93.184.215.14")], [ip_address("127.0.0.1")]])

    async def rebinding(host: str, port: int) -> list[IPAddress]:
        return next(answers)

    async with page_server(ok) as server:
        url = server.url.replace("127.0.0.1", "rebind.invalid")
        async with Fetcher(SETTINGS, allow_private=False, resolver=rebinding) as fetcher:
            with pytest.raises(SourceRefused, match=r"refused rebind\.invalid: 127\.0\.0\.1 is loopback"):
                await fetcher.fetch(url)

    assert server.requests == []


async def test_the_backend_itself_refuses_loopback() -> None:
    async with page_server(ok) as server:
        port = int(server.url.split(":")[2].split("/")[0])
        with pytest.raises(SourceRefused, match=r"127\.0\.0\.1 is loopback"):
            await GuardedBackend(AddressGuard(allow_private=False)).connect_tcp("127.0.0.1", port)
    assert server.requests == []


def certificate(tmp_path: Path, name: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A self-signed certificate for `name`: the server's context and a client context that trusts it."""
    cert, key = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-keyout", str(key),
         "-out", str(cert), "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}"],
        check=True, capture_output=True,
    )  # fmt: skip
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, key)
    return server, ssl.create_default_context(cafile=str(cert))


async def loopback(host: str, port: int) -> list[IPAddress]:
    return [ip_address("127.0.0.1")]


@pytest.mark.parametrize(("certified", "works"), [("pagewire-tls.invalid", True), ("other.invalid", False)])
async def test_tls_verifies_the_host_name_while_the_socket_goes_to_the_checked_address(
    tmp_path: Path, certified: str, works: bool
) -> None:
    server_tls, client_tls = certificate(tmp_path, certified)
    async with page_server(ok, tls=server_tls) as server:
        url = server.url.replace("127.0.0.1", "pagewire-tls.invalid")
        transport = GuardedTransport(AddressGuard(allow_private=True, resolver=loopback), verify=client_tls)
        async with Fetcher(SETTINGS, allow_private=True, resolver=loopback, transport=transport) as fetcher:
            if works:
                outcome = await fetcher.fetch(url)
                assert outcome.snapshot is not None and outcome.snapshot.body == PAGE
            else:
                with pytest.raises(FetchError, match="CERTIFICATE_VERIFY_FAILED") as caught:
                    await fetcher.fetch(url)
                assert caught.value.reason == "network"
