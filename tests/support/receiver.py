"""A real local chat receiver for alert sink tests: records every POST, answers as told, hangs, goes down."""

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass(frozen=True)
class Reply:
    """One scripted answer; `hang` holds the request open until the test releases it."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    hang: bool = False


HANG = Reply(hang=True)


@dataclass(frozen=True)
class Received:
    """One request as it arrived: path, headers, the exact body bytes, and when (monotonic seconds)."""

    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """Serves POST on every path of 127.0.0.1:<port>; per path, scripted replies first, then 200."""

    def __init__(self) -> None:
        self.port = 0
        self.requests: list[Received] = []
        self.release = asyncio.Event()
        self._scripts: dict[str, list[Reply]] = {}
        self._arrived = asyncio.Condition()
        self._runner: web.AppRunner | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def script(self, path: str, *replies: Reply) -> None:
        """Answer the next requests to `path` with `replies` in order, then 200 again."""
        self._scripts.setdefault(path, []).extend(replies)

    def on(self, path: str) -> list[Received]:
        return [request for request in self.requests if request.path == path]

    async def wait_for(self, path: str, count: int, timeout: float = 30.0) -> list[Received]:
        """The first `count` requests to `path`, once they arrived; AssertionError at the timeout."""
        async with self._arrived:
            try:
                await asyncio.wait_for(self._arrived.wait_for(lambda: len(self.on(path)) >= count), timeout)
            except TimeoutError:
                raise AssertionError(
                    f"{path}: {len(self.on(path))} of {count} requests in {timeout}s"
                ) from None
        return self.on(path)[:count]

    async def start(self) -> None:
        """Listen (again, on the same port after stop()); a random free port the first time."""
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Go down: connections are refused until start()."""
        if self._runner is not None:
            self.release.set()
            await self._runner.cleanup()
            self._runner = None
            self.release = asyncio.Event()

    async def _handle(self, request: web.Request) -> web.Response:
        received = Received(request.path, dict(request.headers), await request.read(), time.monotonic())
        async with self._arrived:
            self.requests.append(received)
            self._arrived.notify_all()
        script = self._scripts.get(request.path)
        reply = script.pop(0) if script else Reply()
        if reply.hang:
            await self.release.wait()
        return web.Response(status=reply.status, headers=reply.headers, body=reply.body)


@asynccontextmanager
async def receiver() -> AsyncIterator[Receiver]:
    server = Receiver()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def unused_port() -> int:
    """A port nothing listens on (bound and released at once): connections to it are refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
