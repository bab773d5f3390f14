"""The golden corpus through a real `pagewire worker`: every output topic's checksum is the committed one."""

# Set PAGEWIRE_GOLDEN_WRITE=1 to write tests/fixtures/golden/stream.json from this run instead (only when an
# output is meant to change; say why in the commit).

import asyncio
import os
import time
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition

from services.common.kafka import producer
from services.common.settings import Settings
from tests.support import golden
from tests.support.worker import own_topics, running_worker


async def _send(settings: Settings, topic: str, records: list[golden.InputRecord]) -> None:
    client = producer(settings.kafka)
    await client.start()
    try:
        sent = [
            await client.send(topic, record.value, key=record.key, headers=list(record.headers))
            for record in records
        ]
        landed = [(meta.partition, meta.offset) for meta in await asyncio.gather(*sent)]
    finally:
        await client.stop()
    # the in-process twin of this test gives each record the partition and offset computed here
    assert landed == [(record.partition, record.offset) for record in records]


async def _read_all(
    settings: Settings, topics: dict[str, str], done: int, timeout: float = 240.0
) -> list[tuple[str, bytes, bytes]]:
    """Every record of `topics` (full name -> catalog name), once `done` summaries came and 3 s were quiet."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka.bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        partitions = [
            TopicPartition(topic, partition)
            for topic in topics
            for partition in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        found: list[tuple[str, bytes, bytes]] = []
        summaries = 0
        deadline, quiet_since = time.monotonic() + timeout, time.monotonic()
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=300, max_records=5_000)
            for messages in batch.values():
                for message in messages:
                    name = topics[message.topic]
                    found.append((name, message.key or b"", message.value or b""))
                    summaries += name == "snapshots.parsed"
            if batch:
                quiet_since = time.monotonic()
            elif summaries >= done and time.monotonic() - quiet_since >= 3.0:
                return found
        raise AssertionError(f"timed out with {summaries} of {done} summaries, {len(found)} records")
    finally:
        await consumer.stop()


async def test_the_golden_corpus_gives_the_committed_checksum_on_every_topic(
    kafka: Settings, test_env: dict[str, str], tmp_path: Path
) -> None:
    own = await own_topics(kafka, "golden")
    records = golden.corpus()
    await _send(own.settings, own.catalog.name("snapshots.raw"), records)
    outputs = {
        own.catalog.name(spec.name): spec.name
        for spec in own.catalog.topics
        if spec.owner == "worker" or spec.name == "deadletter"
    }
    async with running_worker({**test_env, **own.env}, tmp_path / "worker.log"):
        found = await _read_all(own.settings, outputs, golden.SNAPSHOTS)

    checksums = golden.checksums(found, own.prefix)
    if os.environ.get("PAGEWIRE_GOLDEN_WRITE") == "1":
        golden.write(checksums)
    assert checksums == golden.committed()
