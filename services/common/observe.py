"""The observability server every long-running process runs: /metrics, /healthz and /readyz, nothing else."""

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import orjson
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from services.common.metrics import READY, REGISTRY
from services.common.settings import ObservabilitySettings
from services.domain.errors import ConfigError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReadyStatus:
    """What /readyz reports: ready or not, a short reason, and each named condition."""

    ready: bool
    reason: str = ""
    conditions: Mapping[str, bool] = field(default_factory=dict)


ReadyCheck = Callable[[], ReadyStatus]


class Readiness:
    """Named conditions that must all hold for the process to be ready, e.g. kafka, recovered, consuming.

    Pass the object itself as `ready=`: calling it gives the current ReadyStatus.
    """

    def __init__(self, *conditions: str) -> None:
        if not conditions:
            raise ValueError("Readiness needs at least one named condition")
        self._state = dict.fromkeys(conditions, False)
        self._details: dict[str, str] = {}

    def add(self, *conditions: str) -> None:
        """More named conditions, not holding yet (those already known keep their state)."""
        for condition in conditions:
            self._state.setdefault(condition, False)

    def set(self, condition: str, value: bool = True, detail: str = "") -> None:
        """Whether `condition` holds; `detail` says why not, in /readyz's reason (e.g. what is missing)."""
        if condition not in self._state:
            raise KeyError(f"unknown readiness condition {condition!r}; known: {', '.join(self._state)}")
        self._details[condition] = "" if value else detail
        if self._state[condition] != value:
            self._state[condition] = value
            # once per change, so a flapping dependency is visible in the logs without a line per probe
            extra = {"condition": condition, "value": value, "ready": self().ready}
            log.info("readiness changed", extra=extra)

    def __call__(self) -> ReadyStatus:
        waiting = [
            f"{name} ({self._details[name]})" if self._details.get(name) else name
            for name, holds in self._state.items()
            if not holds
        ]
        reason = f"waiting for {', '.join(waiting)}" if waiting else ""
        return ReadyStatus(not waiting, reason, dict(self._state))


@dataclass(frozen=True)
class ObservabilityServer:
    """Where the running server listens; `port` is the bound one (useful when settings asked for 0)."""

    host: str
    port: int

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


Handler = Callable[[], Awaitable[web.Response]]
_ALLOWED_METHODS = ("GET", "HEAD")


def _routes(ready: ReadyCheck) -> dict[str, Handler]:
    async def metrics() -> web.Response:
        return web.Response(body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def healthz() -> web.Response:
        # answering at all proves the event loop runs; a blocked loop fails the probe by timing out
        return _json(200, {"alive": True})

    async def readyz() -> web.Response:
        status = _check(ready)
        body: dict[str, object] = {"ready": status.ready, "conditions": dict(status.conditions)}
        if not status.ready:
            body["reason"] = status.reason or "not ready"
        return _json(200 if status.ready else 503, body)

    return {"/metrics": metrics, "/healthz": healthz, "/readyz": readyz}


def _check(ready: ReadyCheck) -> ReadyStatus:
    try:
        return ready()
    except Exception as exc:
        # a broken check reads as "not ready" with a reason (and is logged), never as an error page
        log.exception("readiness check failed")
        return ReadyStatus(False, f"readiness check failed: {type(exc).__name__}")


def _json(status: int, body: Mapping[str, object]) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(body), content_type="application/json")


def _application(ready: ReadyCheck) -> web.Application:
    routes = _routes(ready)

    async def dispatch(request: web.Request) -> web.Response:
        handler = routes.get(request.path)
        if handler is None:
            return web.Response(status=404, text="not found\n")
        if request.method not in _ALLOWED_METHODS:
            return web.Response(status=405, text="method not allowed\n", headers={"Allow": "GET, HEAD"})
        return await handler()

    app = web.Application()
    app.router.add_route("*", "/{path:.*}", dispatch)
    return app


@asynccontextmanager
async def serve_observability(
    settings: ObservabilitySettings, port: int, *, ready: ReadyCheck
) -> AsyncIterator[ObservabilityServer]:
    """Serve /metrics, /healthz and /readyz on settings.host:port on the running loop while the block runs.

    `ready` is called on each /readyz request (a Readiness object, or any callable giving a ReadyStatus);
    pagewire_ready reports the same answer at each scrape.
    """
    runner = web.AppRunner(_application(ready), access_log=None, handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.host, port)
        try:
            await site.start()
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise ConfigError(f"cannot serve /metrics on {settings.host}:{port}: {reason}") from exc
        bound = runner.addresses[0]
        server = ObservabilityServer(host=str(bound[0]), port=int(bound[1]))
        READY.set_function(lambda: 1.0 if _check(ready).ready else 0.0)
        log.info("observability server listening", extra={"url": server.url})
        yield server
    finally:
        READY.set_function(lambda: 0.0)
        await runner.cleanup()
