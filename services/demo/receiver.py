"""A local chat receiver for the demo: takes Slack and signed-webhook posts on 127.0.0.1 and records them."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web

from services.domain.alerts.chat import webhook


@dataclass
class Received:
    """One request: which path (destination kind) it came to, its JSON body, and whether its HMAC verified."""

    path: str
    body: dict[str, Any]
    idempotency_key: str | None
    signature_ok: bool | None


@dataclass
class Receiver:
    url: str
    secret: str
    received: list[Received] = field(default_factory=list)


@asynccontextmanager
async def chat_receiver(secret: str) -> AsyncIterator[Receiver]:
    """Serve POST /slack and POST /webhook on a free loopback port until the block ends."""
    receiver = Receiver(url="", secret=secret)

    async def take(request: web.Request) -> web.Response:
        raw = await request.read()
        signature_ok: bool | None = None
        if request.path == "/webhook":
            signature_ok = webhook.verify(
                secret,
                request.headers.get("X-Pagewire-Timestamp", ""),
                raw,
                request.headers.get("X-Pagewire-Signature", ""),
            )
        receiver.received.append(
            Received(request.path, orjson.loads(raw), request.headers.get("Idempotency-Key"), signature_ok)
        )
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/slack", take)
    app.router.add_post("/webhook", take)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    receiver.url = f"http://127.0.0.1:{port}"
    try:
        yield receiver
    finally:
        await runner.cleanup()
