"""Delivering one alert to one destination over HTTP: retries, backoff, Retry-After, pacing and a deadline."""

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from services.common.metrics import DELIVERIES
from services.common.settings import package_version
from services.domain.alerts.alert import Alert
from services.domain.alerts.chat import build_payload, encode_body
from services.domain.alerts.delivery import (
    DEADLINE_EXCEEDED,
    REJECTED,
    delivery_retry_wait,
    give_up,
    pacing_hold,
    server_wait,
    verdict,
)
from services.domain.errors import PagewireError
from services.sinks.alerts.destinations_file import Target
from services.sinks.alerts.pacing import Pacer

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


class DeliveryAbandoned(PagewireError):
    """A stop came before the alert was delivered or given up; nothing about it may be committed."""

    reason = "abandoned"


@dataclass(frozen=True)
class DeliveryResult:
    """How delivering one alert ended: delivered, or failed for good with a reason and what last happened."""

    delivered: bool
    attempts: int
    status_code: int | None
    reason: str | None = None
    last: str | None = None

    @property
    def summary(self) -> str | None:
        """e.g. 'deadline_exceeded: last status 503'; None when delivered."""
        return None if self.delivered else f"{self.reason}: {self.last}"


@dataclass(frozen=True)
class _Answer:
    """What one attempt got: a status with headers and body, or the problem that kept it from one."""

    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    problem: str = ""


class DestinationClient:
    """Delivers alerts to one destination, one at a time; the URL and secret never leave this object."""

    def __init__(
        self,
        target: Target,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Sleep = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._target = target
        self._limits = target.destination.limits
        self._clock = clock
        self._wall = wall
        self._sleep = sleep
        self._jitter = jitter
        self._pacer = Pacer(self._limits.min_interval_seconds, clock)
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(self._limits.timeout_seconds, connect=self._limits.connect_timeout_seconds),
            # a redirect would carry the signed body to a host nobody configured
            follow_redirects=False,
            headers={"User-Agent": f"pagewire/{package_version()}"},
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def deliver(self, alert: Alert, stopping: asyncio.Event) -> DeliveryResult:
        """Send until delivered, refused, out of attempts or past the deadline; DeliveryAbandoned on stop.

        A stop never interrupts an attempt already sent (its timeout bounds it); it prevents the next one.
        """
        limits = self._limits
        started = self._clock()
        attempts = 0
        last, last_status = "no attempt made", None
        while True:
            await self._pause(self._pacer.wait_seconds(), stopping)
            remaining = limits.deadline_seconds - (self._clock() - started)
            if remaining <= 0:
                # the pacing wait used up what the backoff had left
                return DeliveryResult(False, attempts, last_status, DEADLINE_EXCEEDED, last)
            attempts += 1
            self._pacer.started()
            budget = min(limits.timeout_seconds, remaining)
            answer = await self._attempt(alert, budget)
            asked: float | None = None
            if answer.status is not None:
                last_status = answer.status
                outcome = verdict(answer.status)
                if outcome == "delivered":
                    hold = pacing_hold(answer.headers)
                    if hold:
                        self._pacer.hold(hold)
                    return DeliveryResult(True, attempts, answer.status)
                if outcome == "refused":
                    return DeliveryResult(False, attempts, answer.status, REJECTED, f"status {answer.status}")
                asked = server_wait(answer.status, answer.headers, answer.body, self._wall())
                last = f"last status {answer.status}"
            else:
                # an attempt the deadline cut short says nothing of the receiver: the reason keeps what the
                # last whole attempt got (a receiver refusing connections is not reported as timing out)
                cut_short = answer.problem == "timeout" and budget < limits.timeout_seconds and attempts > 1
                if not cut_short:
                    last, last_status = f"last error {answer.problem}", None
            wait = delivery_retry_wait(
                attempts - 1, limits.backoff_base_seconds, limits.backoff_max_seconds, self._jitter(), asked
            )
            elapsed = self._clock() - started
            reason = give_up(attempts, limits.max_attempts, elapsed, wait, limits.deadline_seconds)
            if reason is not None:
                return DeliveryResult(False, attempts, last_status, reason, last)
            DELIVERIES.labels(destination=self._target.name, outcome="retried").inc()
            log.info(
                "delivery attempt failed, retrying",
                extra={"attempt": attempts, "answer": last, "retry_in_seconds": round(wait, 3)},
            )
            await self._pause(wait, stopping)

    async def _attempt(self, alert: Alert, budget: float) -> _Answer:
        destination = self._target.destination
        # signed per attempt: receivers reject stale timestamps, and the body bytes stay the same
        body, headers = build_payload(
            destination.kind,
            alert,
            secret=self._target.secret.reveal(),
            timestamp=int(self._wall().timestamp()),
        )
        try:
            async with asyncio.timeout(budget):
                response = await self._http.post(
                    self._target.url.reveal(), content=encode_body(body), headers=headers
                )
        except (TimeoutError, httpx.TimeoutException):
            return _Answer(problem="timeout")
        except httpx.ConnectError:
            return _Answer(problem="connection failed")
        except httpx.RemoteProtocolError:
            return _Answer(problem="connection closed without an answer")
        except httpx.TransportError as exc:
            # the exception text may quote the URL: only its type is kept
            return _Answer(problem=type(exc).__name__)
        return _Answer(response.status_code, dict(response.headers), response.content)

    async def _pause(self, seconds: float, stopping: asyncio.Event) -> None:
        """Sleep `seconds` unless a stop comes first; DeliveryAbandoned then (or if it already came)."""
        if stopping.is_set():
            raise DeliveryAbandoned("stopping")
        if seconds <= 0:
            return
        sleeper = asyncio.ensure_future(self._sleep(seconds))
        stopper = asyncio.ensure_future(stopping.wait())
        try:
            await asyncio.wait({sleeper, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            stopper.cancel()
        if stopping.is_set():
            raise DeliveryAbandoned("stopping")
