"""Real-broker helpers for integration tests: send raw messages and read back what is on a topic."""

import asyncio
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition

from services.common.kafka import producer
from services.common.settings import KafkaSettings


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]


async def send(
    settings: KafkaSettings, topic: str, messages: Iterable[tuple[bytes | None, bytes | None]]
) -> None:
    """Send (key, value) pairs in order (a None value is a tombstone); wait until each is acknowledged."""
    client = producer(settings)
    await client.start()
    try:
        for key, value in messages:
            await client.send_and_wait(topic, value, key=key)
    finally:
        await client.stop()


async def read_topic(
    settings: KafkaSettings,
    topic: str,
    *,
    expect: int | None = None,
    timeout: float = 30.0,
    idle: float = 2.0,
) -> list[Record]:
    """Everything on `topic` from the beginning, in (partition, offset) order.

    Returns once `expect` records arrived (then waits `idle` more seconds to catch extras, so a test sees
    duplicates), or when nothing new arrived for `idle` seconds with expect=None, or at `timeout`.
    """
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        client_id=f"test-reader-{uuid.uuid4().hex[:6]}",
    )
    await consumer.start()
    try:
        partitions = await _partitions(consumer, topic, timeout)
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        records: list[Record] = []
        deadline = time.monotonic() + timeout
        last_new = time.monotonic()
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for messages in batch.values():
                for message in messages:
                    records.append(
                        Record(
                            message.topic,
                            message.partition,
                            message.offset,
                            message.key,
                            message.value,
                            tuple((name, bytes(value)) for name, value in message.headers),
                        )
                    )
                    last_new = time.monotonic()
            quiet = time.monotonic() - last_new >= idle
            if quiet and (expect is None or len(records) >= expect):
                break
        return sorted(records, key=lambda record: (record.partition, record.offset))
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str, timeout: float) -> list[TopicPartition]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = consumer.partitions_for_topic(topic)
        if found:
            return [TopicPartition(topic, partition) for partition in sorted(found)]
        await consumer._client.force_metadata_update()
        await asyncio.sleep(0.2)
    raise AssertionError(f"topic {topic} does not exist on the broker")
