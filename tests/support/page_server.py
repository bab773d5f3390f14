"""A real local HTTP server for producer tests: scripted responses on 127.0.0.1, every request recorded."""

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web

Responder = Callable[[web.Request, "PageServer"], Awaitable[web.StreamResponse]]


@dataclass
class PageServer:
    """The server's URL, the headers of every request it got, and an event per request count."""

    url: str
    requests: list[dict[str, str]] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    _arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def wait_for_requests(self, count: int, timeout: float = 30.0) -> None:
        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(lambda: len(self.requests) >= count), timeout)

    async def record(self, request: web.Request) -> None:
        async with self._arrived:
            self.requests.append(dict(request.headers))
            self._arrived.notify_all()

    async def hold(self) -> web.StreamResponse:
        """Answer only once the test is over: a fetch still in flight when a stop signal comes."""
        await self.release.wait()
        return web.Response(status=503)


@asynccontextmanager
async def page_server(
    respond: Responder, path: str = "/listing", tls: ssl.SSLContext | None = None
) -> AsyncIterator[PageServer]:
    """Serve `respond(request, server)` at `path` on a random port of 127.0.0.1; len(server.requests)
    is the number of this request, counting from 1."""
    server: PageServer | None = None

    async def handle(request: web.Request) -> web.StreamResponse:
        assert server is not None
        await server.record(request)
        return await respond(request, server)

    app = web.Application()
    app.router.add_get(path, handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls)
    await site.start()
    host, port = runner.addresses[0][:2]
    server = PageServer(f"{'https' if tls else 'http'}://{host}:{port}{path}")
    try:
        yield server
    finally:
        server.release.set()  # lets a held request finish, so cleanup does not wait on it
        await runner.cleanup()


FIRST = b"<html><body>\xe2\x80\xa2 KGS/USD = 0.01144 0%</body></html>"
CHANGED = b"<html><body>\xe2\x80\xa2 KGS/USD = 0.01150 0.52%</body></html>"


async def etag_then_304_then_changed(request: web.Request, server: PageServer) -> web.StreamResponse:
    """1: the page with ETag v1; 2: 304 when asked with v1; 3: a changed page, v2; later: held open."""
    count = len(server.requests)
    if count == 1:
        return web.Response(body=FIRST, headers={"ETag": '"v1"'}, content_type="text/html", charset="utf-8")
    if count == 2 and request.headers.get("If-None-Match") == '"v1"':
        return web.Response(status=304, headers={"ETag": '"v1"'})
    if count == 3:
        return web.Response(body=CHANGED, headers={"ETag": '"v2"'}, content_type="text/html", charset="utf-8")
    return await server.hold()
