"""The Kafka side of the producer: one schema-checked message per snapshot on snapshots.raw, keyed by site."""

import asyncio
import logging
from collections.abc import Callable
from types import TracebackType
from typing import Self

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError, UnknownTopicOrPartitionError

from services.common import codec
from services.common.catalog import load_catalog
from services.common.kafka import producer, start_until_stopped, stop_producer
from services.common.retry import Backoff
from services.common.settings import Settings, package_version
from services.domain.errors import BrokerError, ConfigError
from services.domain.instants import format_instant
from services.domain.page.snapshot import Snapshot
from services.domain.schema_ids import SNAPSHOT
from services.domain.sources.content import envelope_fits

log = logging.getLogger(__name__)


def provenance_headers(snapshot: Snapshot) -> list[tuple[str, bytes]]:
    """Kafka headers that let a reader route or trace a snapshot without decoding its value."""
    return [
        ("pagewire-schema", SNAPSHOT.encode()),
        ("pagewire-source-url", snapshot.source_url.encode()),
        ("pagewire-snapshot-id", snapshot.snapshot_id.encode()),
        ("pagewire-fetched-at", format_instant(snapshot.fetched_at).encode()),
        ("pagewire-producer-version", package_version().encode()),
    ]


class Publisher:
    """An idempotent aiokafka producer (acks=all, zstd) that waits a bounded time for the broker at start."""

    def __init__(self, settings: Settings) -> None:
        if not envelope_fits(settings.producer.max_body_bytes, settings.kafka.max_request_bytes):
            raise ConfigError(
                f"PAGEWIRE_PRODUCER_MAX_BODY_BYTES={settings.producer.max_body_bytes} does not fit a "
                f"Kafka request of PAGEWIRE_KAFKA_MAX_REQUEST_BYTES={settings.kafka.max_request_bytes} "
                "once base64-encoded"
            )
        self._settings = settings
        self.topic = load_catalog(settings.kafka.topic_prefix).name("snapshots.raw")
        self._producer: AIOKafkaProducer | None = None
        self._order = asyncio.Lock()
        self._outstanding = 0  # publish calls not returned yet

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.stop()

    async def start(self, on_attempt: Callable[[str], None] | None = None) -> None:
        """Connect, retrying for up to PAGEWIRE_PRODUCER_BROKER_WAIT seconds; else BrokerError.
        `on_attempt` hears what failed after each attempt (for /readyz)."""
        kafka, wait = self._settings.kafka, self._settings.producer.broker_wait_seconds
        timeout_ms = int(self._settings.producer.delivery_timeout_seconds * 1000)
        started = await start_until_stopped(
            lambda: (producer(kafka, request_timeout_ms=timeout_ms),),
            Backoff(0.25, 5.0),
            bootstrap=kafka.bootstrap,
            give_up_after=wait,
            on_attempt=on_attempt,
        )
        assert started is not None  # without a stop event it returns clients or raises
        self._producer = started[0]

    async def publish(self, snapshot: Snapshot) -> None:
        """Send one snapshot and return once Kafka acknowledged it (after aiokafka's own retries).

        Calls are handed to the producer in the order they were made (the lock is FIFO), so snapshots
        of one site published concurrently still reach their partition in order.
        """
        if self._producer is None:
            raise BrokerError("the publisher is not started")
        value = codec.encode(snapshot.to_envelope())
        timeout = self._settings.producer.delivery_timeout_seconds
        self._outstanding += 1
        deadline = asyncio.get_running_loop().time() + timeout
        try:
            async with self._order:
                # waits for the topic's metadata, up to the timeout (aiokafka's request timeout)
                acknowledged = await self._producer.send(
                    self.topic, value, key=snapshot.site.encode(), headers=provenance_headers(snapshot)
                )
            # the rest of the timeout for the acknowledgement, which aiokafka does not bound: an idempotent
            # producer never expires a batch whose partition has a known leader, and retries it for as long
            # as that broker is down
            async with asyncio.timeout_at(deadline):
                await acknowledged
        except TimeoutError as exc:
            raise BrokerError(
                f"Kafka did not acknowledge {snapshot.source_url} within {timeout:g}s "
                "(PAGEWIRE_PRODUCER_DELIVERY_TIMEOUT)"
            ) from exc
        except UnknownTopicOrPartitionError as exc:
            raise BrokerError(
                f"Kafka did not acknowledge {snapshot.source_url}: topic {self.topic} does not exist on "
                f"{self._settings.kafka.bootstrap} (create it with `pagewire topics create`)"
            ) from exc
        except KafkaError as exc:
            raise BrokerError(f"Kafka did not acknowledge {snapshot.source_url}: {exc!r}") from exc
        finally:
            self._outstanding -= 1

    async def stop(self) -> None:
        """Flush what is pending, then close; safe to call twice.

        A publish still running is given its delivery timeout. Records Kafka has not acknowledged once
        every publish returned belong to ones reported failed: they are dropped, not retried for as long
        as the broker stays away."""
        client, self._producer = self._producer, None
        if client is None:
            return
        grace = self._settings.producer.delivery_timeout_seconds if self._outstanding else 0.0
        dropped = await stop_producer(client, grace)
        if dropped:
            log.warning("unacknowledged records dropped at stop (their snapshots were reported failed)")
