"""The alert sink: one delivery loop per destination, a shared producer for outcomes, lag and readiness."""

import asyncio
import logging
import random
from collections.abc import Callable, Sequence
from contextlib import suppress

import httpx
from aiokafka import AIOKafkaProducer

from services.common import kafka
from services.common.catalog import load_catalog
from services.common.lag import LagReporter, aiokafka_lag
from services.common.observe import Readiness
from services.common.retry import Backoff
from services.common.settings import Settings
from services.domain.errors import ConfigError
from services.sinks.alerts.client import DestinationClient
from services.sinks.alerts.destination_loop import DestinationLoop, readiness_condition
from services.sinks.alerts.destinations_file import Target

log = logging.getLogger(__name__)

PRODUCER_CONDITION = "kafka"


class AlertSink:
    """Delivers the alerts topic to every destination until stop(); hand `readiness` to the probe server.

    Each destination has its own consumer group and loop, so one that is down or slow delays only its
    own alerts. `transport` replaces the HTTP transport (unit tests only).
    """

    def __init__(
        self,
        settings: Settings,
        targets: Sequence[Target],
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        names = [target.name for target in targets]
        if not names:
            raise ConfigError("alert sink: no destinations configured")
        if len(set(names)) != len(names):
            raise ConfigError("alert sink: destination names must be unique")
        self._settings = settings
        self._targets = tuple(targets)
        self._transport = transport
        self._jitter = jitter
        catalog = load_catalog(settings.kafka.topic_prefix)
        # a dead letter carries the original alert base64-encoded: allow what the deadletter topic accepts
        deadletter_bytes = int(catalog.spec("deadletter").config.get("max.message.bytes", "0"))
        self._request_bytes = max(settings.kafka.max_request_bytes, deadletter_bytes)
        self.readiness = Readiness(PRODUCER_CONDITION, *(readiness_condition(name) for name in names))
        self.loops: tuple[DestinationLoop, ...] = ()
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        """Stop every destination: no new attempt starts, an alert in flight is not committed."""
        self._stopping.set()

    async def run(self) -> None:
        """Deliver until stop(); returns once every destination's loop has stopped."""
        producer = await self._start_producer()
        if producer is None:
            return
        # the first destination by name dead-letters bad alert messages, so each is dead-lettered once
        first = min(target.name for target in self._targets)
        self.loops = tuple(
            DestinationLoop(
                self._settings,
                target,
                DestinationClient(target, transport=self._transport, jitter=self._jitter),
                producer,
                self.readiness,
                stopping=self._stopping,
                reports_bad_input=target.name == first,
                jitter=self._jitter,
            )
            for target in self._targets
        )
        lag = asyncio.create_task(self._report_lag())
        try:
            async with asyncio.TaskGroup() as group:
                for loop in self.loops:
                    group.create_task(loop.run(), name=f"alerts-{loop.name}")
        finally:
            lag.cancel()
            with suppress(asyncio.CancelledError):
                await lag
            self.readiness.set(PRODUCER_CONDITION, False)
            await kafka.stop_clients(producer)

    async def _start_producer(self) -> AIOKafkaProducer | None:
        settings, alert_sink = self._settings.kafka, self._settings.alert_sink
        backoff = Backoff(
            alert_sink.backoff_base_seconds,
            alert_sink.backoff_max_seconds,
            stopping=self._stopping,
            jitter=self._jitter,
        )
        started = await kafka.start_until_stopped(
            lambda: (kafka.producer(settings, max_request_size=self._request_bytes),),
            backoff,
            bootstrap=settings.bootstrap,
            give_up_after=kafka.start_wait(settings),
            on_attempt=lambda failed: self.readiness.set(PRODUCER_CONDITION, False, failed),
        )
        if started is None:
            return None
        self.readiness.set(PRODUCER_CONDITION)
        return started[0]

    async def _report_lag(self) -> None:
        """Every destination reads the same partitions; the gauge shows the furthest behind of them."""
        interval = self._settings.observability.lag_interval_seconds
        reporter = LagReporter()
        try:
            while True:
                worst: dict[tuple[str, int], int] = {}
                for loop in self.loops:
                    if loop.consumer is None:
                        continue
                    try:
                        lags = await aiokafka_lag(loop.consumer, timeout=max(interval, 1.0))
                    except Exception as exc:
                        # e.g. the consumer stopped meanwhile: the next round measures again
                        log.warning("consumer lag not measured", extra={"reason": type(exc).__name__})
                        continue
                    for partition, lag in lags.items():
                        worst[partition] = max(worst.get(partition, 0), lag)
                reporter.publish(worst)
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), interval)
                if self._stopping.is_set():
                    return
        finally:
            reporter.clear()
