"""The storage sink's consumer loop: one database transaction per Kafka batch, offsets committed after it."""

import asyncio
import logging
import random
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import IllegalStateError, KafkaError

from services.common import codec, kafka
from services.common.catalog import load_catalog
from services.common.deadletter import deadletter_key, deadletter_of
from services.common.lag import report_consumer_lag
from services.common.metrics import DEADLETTERED, MESSAGES_CONSUMED, STORAGE_BATCH_ROWS, STORAGE_WRITE_SECONDS
from services.common.observe import Readiness
from services.common.retry import Backoff
from services.common.settings import Settings
from services.domain import schema_ids
from services.domain.errors import ConfigError, SchemaError, StorageError
from services.sinks.storage.database import Database, RowsRefused, Timings
from services.sinks.storage.migrate import migrate
from services.sinks.storage.rows import STORED_SCHEMAS, RowBatch
from services.sinks.storage.sql import write_statements
from services.sinks.storage.tables import TABLES

log = logging.getLogger(__name__)

STAGE = "store"
Batch = dict[Any, list[Any]]  # aiokafka's TopicPartition -> ConsumerRecords


@dataclass(frozen=True)
class Rejected:
    """A record that goes to the deadletter topic instead of the database."""

    record: Any
    reason: str
    error: str


class StorageSink:
    """Stores the public topics until stop(): bad messages are dead-lettered, outages waited out, none lost.

    `readiness` (a services.common.observe.Readiness) holds while the database takes writes and the Kafka
    clients run; hand it to serve_observability as `ready=`.
    """

    def __init__(
        self, settings: Settings, database: Database, *, jitter: Callable[[], float] = random.random
    ) -> None:
        self._settings = settings
        self._database = database
        catalog = load_catalog(settings.kafka.topic_prefix)
        values = {catalog.name(name): catalog.spec(name).value for name in catalog.stored}
        unmapped = sorted(set(values.values()) - STORED_SCHEMAS)
        if unmapped:  # at start, not on the first message: a catalog marks a topic stored that has no table
            raise ConfigError(f"the catalog stores topics of {', '.join(unmapped)}, which have no table")
        # each topic's current version, and the older ones of the same message still stored (a topic keeps
        # what an older pagewire wrote until its retention passes)
        self._schemas = {
            topic: frozenset({value, *(old for old in schema_ids.OLDER if _same_message(old, value))})
            for topic, value in values.items()
        }
        self._deadletter_topic = catalog.name("deadletter")
        # a dead letter carries the original base64-encoded: allow what the deadletter topic accepts
        deadletter_bytes = int(catalog.spec("deadletter").config.get("max.message.bytes", "0"))
        self._deadletter_request_bytes = max(settings.kafka.max_request_bytes, deadletter_bytes)
        self.group = settings.kafka.topic_prefix + settings.storage.group
        self.readiness = Readiness("database", "kafka")
        self._stopping = asyncio.Event()
        storage = settings.storage
        self._backoff = Backoff(
            storage.backoff_base_seconds, storage.backoff_max_seconds, stopping=self._stopping, jitter=jitter
        )

    def stop(self) -> None:
        """Finish the batch in hand, commit it, and return from run()."""
        self._stopping.set()

    async def run(self) -> None:
        """Consume until stop(); the database is connected and migrated first, waiting out outages."""
        try:
            if not await self._prepare_database():
                return
            clients = await self._start_clients()
            if clients is None:
                return
            consumer, producer = clients
            interval = self._settings.observability.lag_interval_seconds
            lag = asyncio.create_task(report_consumer_lag(consumer, interval))
            try:
                while not self._stopping.is_set():
                    await self._poll_once(consumer, producer)
            finally:
                lag.cancel()
                with suppress(asyncio.CancelledError):
                    await lag
                self.readiness.set("kafka", False)
                await kafka.stop_clients(consumer, producer)
        finally:
            self.readiness.set("database", False)
            await self._database.close()

    async def _prepare_database(self) -> bool:
        while not self._stopping.is_set():
            try:
                await self._database.connect()
                await migrate(self._database)
            except StorageError as exc:
                await self._back_off("database not ready", exc)
                continue
            self.readiness.set("database")
            self._succeeded()
            return True
        return False

    async def _start_clients(self) -> tuple[AIOKafkaConsumer, AIOKafkaProducer] | None:
        settings = self._settings.kafka

        def clients() -> tuple[AIOKafkaConsumer, AIOKafkaProducer]:
            # offsets move only after the database committed
            stored = kafka.consumer(settings, *self._schemas, group=self.group, role="storage")
            return stored, kafka.producer(settings, max_request_size=self._deadletter_request_bytes)

        started = await kafka.start_until_stopped(
            clients,
            self._backoff,
            bootstrap=settings.bootstrap,
            give_up_after=kafka.start_wait(settings),
            on_attempt=lambda failed: self.readiness.set("kafka", False, failed),
        )
        if started is not None:
            self.readiness.set("kafka")
        return started

    async def _poll_once(self, consumer: AIOKafkaConsumer, producer: AIOKafkaProducer) -> None:
        storage = self._settings.storage
        try:
            batch: Batch = await consumer.getmany(
                timeout_ms=int(storage.poll_timeout_seconds * 1000), max_records=storage.batch_size
            )
        except KafkaError as exc:
            await self._back_off("kafka poll failed", exc)
            return
        if not batch:
            return
        try:
            await self._store(consumer, producer, batch)
        except (StorageError, KafkaError) as exc:
            await self._hold(consumer, batch, exc)
        except Exception as exc:
            # a bug must not skip messages either: hold the batch, say so loudly, try again later
            log.exception("storing a batch failed unexpectedly")
            await self._hold(consumer, batch, exc)

    async def _store(self, consumer: AIOKafkaConsumer, producer: AIOKafkaProducer, batch: Batch) -> None:
        records = [record for records in batch.values() for record in records]
        rows, accepted, rejected = self._decode(records)
        statements = write_statements(rows, self._database.dialect)
        try:
            timings = await self._database.execute(statements) if statements else {}
        except RowsRefused:
            timings, refused = await self._store_one_by_one(accepted)
            rejected.extend(refused)
        self.readiness.set("database")
        await self._deadletter(producer, rejected)
        self.readiness.set("kafka")
        await self._commit(consumer, batch)
        self._succeeded()
        self._count(records, rows, timings, rejected)

    def _decode(
        self, records: list[Any]
    ) -> tuple[RowBatch, list[tuple[Any, dict[str, Any]]], list[Rejected]]:
        """The batch's rows, the records they came from, and the records that cannot be stored."""
        rows = RowBatch()
        accepted: list[tuple[Any, dict[str, Any]]] = []
        rejected: list[Rejected] = []
        for record in records:
            try:
                message = codec.decode(record.value, self._schemas[record.topic])
                rows.add(message)
            except SchemaError as exc:
                rejected.append(Rejected(record, exc.reason, str(exc)))
                continue
            accepted.append((record, message))
        return rows, accepted, rejected

    async def _store_one_by_one(
        self, accepted: list[tuple[Any, dict[str, Any]]]
    ) -> tuple[Timings, list[Rejected]]:
        """Find the messages the database refuses by writing each alone, in order; the rest are stored."""
        timings: Timings = {}
        refused: list[Rejected] = []
        for record, message in accepted:
            single = RowBatch()
            single.add(message)
            try:
                spent = await self._database.execute(write_statements(single, self._database.dialect))
            except RowsRefused as exc:
                refused.append(Rejected(record, exc.reason, str(exc)))
                continue
            for table, seconds in spent.items():
                timings[table] = timings.get(table, 0.0) + seconds
        return timings, refused

    async def _deadletter(self, producer: AIOKafkaProducer, rejected: list[Rejected]) -> None:
        sent = []
        for item in rejected:
            record = item.record
            envelope = deadletter_of(
                record, stage=STAGE, reason=item.reason, error=item.error, now=datetime.now(UTC)
            )
            key = deadletter_key(record.key, STAGE)
            sent.append(await producer.send(self._deadletter_topic, codec.encode(envelope), key=key))
        await asyncio.gather(*sent)
        for item in rejected:
            record = item.record
            source = {"topic": record.topic, "partition": record.partition, "offset": record.offset}
            log.warning("message dead-lettered", extra={"stage": STAGE, "reason": item.reason, **source})

    async def _commit(self, consumer: AIOKafkaConsumer, batch: Batch) -> None:
        offsets = {partition: records[-1].offset + 1 for partition, records in batch.items()}
        try:
            await consumer.commit(offsets)
        except (KafkaError, IllegalStateError) as exc:
            # e.g. a rebalance moved the partition: its next owner re-reads and rewrites the same rows
            log.warning("offsets not committed; the batch will be stored again", extra={"error": str(exc)})

    async def _hold(self, consumer: AIOKafkaConsumer, batch: Batch, exc: BaseException) -> None:
        """Rewind to the batch's first offsets so it is read again once the database is back."""
        if isinstance(exc, StorageError | KafkaError):
            self.readiness.set("database" if isinstance(exc, StorageError) else "kafka", False)
        for partition, records in batch.items():
            # IllegalStateError: revoked meanwhile, and its next owner starts at the committed offset
            with suppress(IllegalStateError):
                consumer.seek(partition, records[0].offset)
        await self._back_off("batch not stored, offsets held", exc)

    async def _back_off(self, what: str, exc: BaseException) -> None:
        # errors from the adapters are scrubbed of the password; Kafka errors carry none
        await self._backoff.wait(what, str(exc))

    def _succeeded(self) -> None:
        failures = self._backoff.succeeded()
        if failures:
            log.info("storage sink recovered", extra={"failed_attempts": failures})

    def _count(self, records: list[Any], rows: RowBatch, timings: Timings, rejected: list[Rejected]) -> None:
        for record in records:
            MESSAGES_CONSUMED.labels(topic=record.topic).inc()
        for table in TABLES:
            written = len(rows.rows(table))
            if written:
                STORAGE_BATCH_ROWS.labels(table=table.name).observe(written)
        for table_name, seconds in timings.items():
            STORAGE_WRITE_SECONDS.labels(table=table_name).observe(seconds)
        for item in rejected:
            DEADLETTERED.labels(stage=STAGE, reason=item.reason).inc()


def _same_message(one: str, other: str) -> bool:
    """'pagewire.snapshot_summary/1' and '.../2' are versions of one message."""
    return one.partition("/")[0] == other.partition("/")[0]
