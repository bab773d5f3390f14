"""One destination's loop: its own consumer group on the alerts topic, one alert at a time, in order."""

import asyncio
import logging
import random
import time
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any, Final

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import IllegalStateError, KafkaError

from services.common import codec, kafka
from services.common.catalog import load_catalog
from services.common.deadletter import deadletter_key, deadletter_of
from services.common.logging import log_context
from services.common.metrics import (
    DEADLETTERED,
    DELIVERIES,
    DELIVERY_SECONDS,
    END_TO_END_SECONDS,
    MESSAGES_CONSUMED,
)
from services.common.observe import Readiness
from services.common.retry import Backoff
from services.common.settings import Settings
from services.domain.alerts.alert import Alert, AlertDelivery, DeliveryOutcome
from services.domain.errors import SchemaError
from services.domain.messages import alert_delivery_message, alert_of
from services.domain.replay import is_replay
from services.sinks.alerts.client import DeliveryAbandoned, DeliveryResult, DestinationClient
from services.sinks.alerts.destinations_file import Target

log = logging.getLogger(__name__)

#: the alert sink's stage in dead letters and metrics
STAGE: Final = "deliver"

Output = tuple[str, bytes, dict[str, Any]]  # topic, key, message


class DestinationLoop:
    """Delivers every alert to one destination in partition order; a slow destination slows only itself.

    The offset of an alert is committed once its outcome (delivered, dead-lettered or filtered) is on
    Kafka, so a crash re-sends at most the alert in flight, with the same alert id. Only the loop with
    `reports_bad_input` dead-letters undecodable alerts, so each lands in the deadletter topic once.
    """

    def __init__(
        self,
        settings: Settings,
        target: Target,
        client: DestinationClient,
        producer: AIOKafkaProducer,
        readiness: Readiness,
        *,
        stopping: asyncio.Event,
        reports_bad_input: bool,
        jitter: Callable[[], float] = random.random,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._settings = settings
        self._target = target
        self._client = client
        self._producer = producer
        self._readiness = readiness
        self._reports_bad_input = reports_bad_input
        self._stopping = stopping
        limits = target.destination.limits
        self._backoff = Backoff(
            limits.backoff_base_seconds, limits.backoff_max_seconds, stopping=stopping, jitter=jitter
        )
        self._now = now
        catalog = load_catalog(settings.kafka.topic_prefix)
        self._alerts_topic = catalog.name("alerts")
        self._alert_schema = catalog.spec("alerts").value
        self._deliveries_topic = catalog.name("alerts.deliveries")
        # labelled with the catalog name, as the worker labels its output topics
        self._end_to_end = {
            replay: END_TO_END_SECONDS.labels(topic="alerts.deliveries", replay="true" if replay else "false")
            for replay in (False, True)
        }
        self._deadletter_topic = catalog.name("deadletter")
        self.name = target.name
        self.group = f"{settings.kafka.topic_prefix}{settings.alert_sink.group}-{target.name}"
        self.condition = readiness_condition(target.name)
        self.consumer: AIOKafkaConsumer | None = None

    async def run(self) -> None:
        """Consume and deliver until the stop is set; an alert in flight then is not committed."""
        stopping = self._stopping
        try:
            consumer = await self._start_consumer()
            if consumer is None:
                return
            self.consumer = consumer
            self._readiness.set(self.condition)
            try:
                while not stopping.is_set():
                    await self._poll_once(consumer, stopping)
            finally:
                self._readiness.set(self.condition, False)
                self.consumer = None
                await kafka.stop_clients(consumer)
        finally:
            await self._client.aclose()

    async def _start_consumer(self) -> AIOKafkaConsumer | None:
        limits = self._target.destination.limits
        settings = self._settings.kafka
        started = await kafka.start_until_stopped(
            lambda: (
                kafka.consumer(
                    settings,
                    self._alerts_topic,
                    group=self.group,
                    role=f"alerts-{self.name}",
                    # one alert may take its whole deadline; the group must not call that a dead consumer
                    max_poll_interval_ms=int((limits.deadline_seconds + limits.timeout_seconds + 60) * 1000),
                ),
            ),
            self._backoff,
            bootstrap=settings.bootstrap,
        )
        return None if started is None else started[0]

    async def _poll_once(self, consumer: AIOKafkaConsumer, stopping: asyncio.Event) -> None:
        poll_ms = int(self._settings.alert_sink.poll_timeout_seconds * 1000)
        try:
            # one record at a time: a stop or failure never leaves fetched alerts behind the position
            batch = await consumer.getmany(timeout_ms=poll_ms, max_records=1)
        except KafkaError as exc:
            await self._back_off("kafka poll failed", exc)
            return
        for partition, records in batch.items():
            for record in records:
                try:
                    done = await self._handle(consumer, record, stopping)
                except Exception as exc:
                    # a bug must not skip an alert either: hold it, say so loudly, try again later
                    log.exception("handling an alert failed unexpectedly", extra={"destination": self.name})
                    await self._back_off("alert held", exc)
                    done = False
                if not done:
                    with suppress(IllegalStateError):  # revoked meanwhile: its next owner starts there
                        consumer.seek(partition, record.offset)
                    return

    async def _handle(self, consumer: AIOKafkaConsumer, record: Any, stopping: asyncio.Event) -> bool:
        """Deliver, dead-letter or filter one record, then commit it; False if it must be read again."""
        arrived = time.monotonic()
        MESSAGES_CONSUMED.labels(topic=record.topic).inc()
        try:
            alert = alert_of(codec.decode(record.value, self._alert_schema))
        except SchemaError as exc:
            return await self._bad_input(consumer, record, exc, stopping)
        where = {"topic": record.topic, "partition": record.partition, "offset": record.offset}
        with log_context(alert_id=alert.alert_id, destination=self.name, **where):
            age = self._now().timestamp() - record.timestamp / 1000
            rejection = self._target.destination.filter.rejection(alert, age)
            if rejection is not None:
                delivery = self._delivery(alert, "filtered", 0, None, rejection)
                if not await self._publish([delivery], stopping):
                    return False
                self._observe_end_to_end(alert, record)
                DELIVERIES.labels(destination=self.name, outcome="filtered").inc()
                log.debug("alert filtered", extra={"reason": rejection})
                return await self._commit(consumer, record)
            try:
                result = await self._client.deliver(alert, stopping)
            except DeliveryAbandoned:
                log.info("delivery abandoned at stop; after a restart it is sent again with the same id")
                return False
            if not await self._publish(self._outputs(record, alert, result), stopping):
                return False
            self._observe_end_to_end(alert, record)
            self._count(result, time.monotonic() - arrived)
            return await self._commit(consumer, record)

    def _outputs(self, record: Any, alert: Alert, result: DeliveryResult) -> list[Output]:
        if result.delivered:
            return [self._delivery(alert, "delivered", result.attempts, result.status_code, None)]
        error = f"destination {self.name!r}: {result.summary} after {result.attempts} attempt(s)"
        letter = deadletter_of(record, stage=STAGE, reason=str(result.reason), error=error, now=self._now())
        return [
            (self._deadletter_topic, deadletter_key(record.key, STAGE), letter),
            self._delivery(alert, "dead_lettered", result.attempts, result.status_code, result.summary),
        ]

    def _observe_end_to_end(self, alert: Alert, record: Any) -> None:
        """From the moment the worker produced the alert (its record's timestamp) to its outcome on Kafka;
        labelled a replay when the snapshot behind it was over 10 minutes old by then."""
        produced = datetime.fromtimestamp(record.timestamp / 1000, UTC)
        replay = is_replay(alert.event_time, produced)
        self._end_to_end[replay].observe(max(0.0, (self._now() - produced).total_seconds()))

    def _count(self, result: DeliveryResult, seconds: float) -> None:
        context = {"attempts": result.attempts, "status_code": result.status_code}
        if result.delivered:
            DELIVERIES.labels(destination=self.name, outcome="delivered").inc()
            DELIVERY_SECONDS.labels(destination=self.name).observe(seconds)
            log.info("alert delivered", extra=context)
        else:
            DELIVERIES.labels(destination=self.name, outcome="dead_lettered").inc()
            DEADLETTERED.labels(stage=STAGE, reason=str(result.reason)).inc()
            log.warning("alert dead-lettered", extra={**context, "reason": result.summary})

    async def _bad_input(
        self, consumer: AIOKafkaConsumer, record: Any, exc: SchemaError, stopping: asyncio.Event
    ) -> bool:
        if self._reports_bad_input:
            letter = deadletter_of(record, stage=STAGE, reason=exc.reason, error=str(exc), now=self._now())
            key = deadletter_key(record.key, STAGE)
            if not await self._publish([(self._deadletter_topic, key, letter)], stopping):
                return False
            DEADLETTERED.labels(stage=STAGE, reason=exc.reason).inc()
            source = {"topic": record.topic, "partition": record.partition, "offset": record.offset}
            log.warning("alert dead-lettered", extra={"stage": STAGE, "reason": exc.reason, **source})
        return await self._commit(consumer, record)

    def _delivery(
        self,
        alert: Alert,
        outcome: DeliveryOutcome,
        attempts: int,
        status: int | None,
        reason: str | None,
    ) -> Output:
        delivery = AlertDelivery(
            alert,
            destination=self.name,
            kind=self._target.destination.kind,
            outcome=outcome,
            attempts=attempts,
            status_code=status,
            reason=reason,
            completed_at=self._now(),
        )
        return self._deliveries_topic, alert.alert_id.encode(), alert_delivery_message(delivery)

    async def _publish(self, outputs: list[Output], stopping: asyncio.Event) -> bool:
        """Put every output on Kafka, retrying until acknowledged; False if a stop came first."""
        while True:
            try:
                sent = [
                    await self._producer.send(topic, codec.encode(message), key=key)
                    for topic, key, message in outputs
                ]
                await asyncio.gather(*sent)
            except KafkaError as exc:
                if not await self._back_off("outcome not published, alert held", exc):
                    return False
                continue
            self._backoff.succeeded()
            return True

    async def _commit(self, consumer: AIOKafkaConsumer, record: Any) -> bool:
        partition = TopicPartition(record.topic, record.partition)
        try:
            await consumer.commit({partition: record.offset + 1})
        except (KafkaError, IllegalStateError) as exc:
            # e.g. a rebalance moved the partition: its next owner sends this alert again, same id
            log.warning("offset not committed", extra={"error": str(exc), "offset": record.offset})
        return True

    async def _back_off(self, what: str, exc: BaseException) -> bool:
        """Wait before trying again; False when a stop came during the wait. Only the error's type is
        logged: an HTTP error's text may carry the destination URL, a secret."""
        return await self._backoff.wait(what, type(exc).__name__, destination=self.name)


def readiness_condition(destination: str) -> str:
    """The /readyz condition that holds while a destination's consumer runs."""
    return f"destination {destination}"
