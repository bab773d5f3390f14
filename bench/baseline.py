"""The ceiling: a raw aiokafka consume -> produce passthrough of the same snapshot records in one process.

It does the least an at-least-once stage can do: fetch a batch, send every record on (the pagewire
producer: idempotent, acks=all, the configured compression), wait for the acks, commit the batch.
"""

import asyncio
import time
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import NewTopic

from bench.corpus import Corpus
from bench.kafka_env import Part, preload
from services.common.kafka import admin, producer

OUTPUT = "passthrough"


async def run_baseline(part: Part, corpus: Corpus, count: int) -> dict[str, Any]:
    settings = part.settings
    source = part.catalog.name("snapshots.raw")
    target = part.prefix + OUTPUT
    spec = part.catalog.spec("snapshots.raw")
    client = admin(settings.kafka)
    await client.start()
    try:
        await client.create_topics([NewTopic(target, spec.partitions, 1, topic_configs=spec.kafka_config())])
    finally:
        await client.close()

    messages = (corpus.message(index) for index in range(count))
    sizes: list[int] = []

    def records() -> Any:
        for message in messages:
            sizes.append(len(message.value))
            yield message.key, message.value, message.headers

    await preload(settings, source, records())
    return {
        **await _passthrough(part, source, target, count),
        "message_bytes": round(sum(sizes) / len(sizes)),
    }


async def _passthrough(part: Part, source: str, target: str, count: int) -> dict[str, Any]:
    kafka = part.settings.kafka
    consumer = AIOKafkaConsumer(
        source,
        bootstrap_servers=kafka.bootstrap,
        group_id=part.prefix + "baseline",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=kafka.max_request_bytes,  # as the worker's consumer_max_fetch_size
    )
    sender = producer(kafka)
    await consumer.start()
    await sender.start()
    moved = 0
    started: float | None = None
    cpu_started = time.process_time()
    try:
        while moved < count:
            batch = await consumer.getmany(timeout_ms=1000)
            if not batch:
                continue
            if started is None:
                # the clock starts at the first record, so joining the group is not counted
                started, cpu_started = time.perf_counter(), time.process_time()
            acks = []
            for records in batch.values():
                for record in records:
                    acks.append(
                        await sender.send(target, record.value, key=record.key, headers=list(record.headers))
                    )
            await asyncio.gather(*acks)
            await consumer.commit({tp: records[-1].offset + 1 for tp, records in batch.items()})
            moved += len(acks)
        assert started is not None
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
    finally:
        await consumer.stop()
        await sender.stop()
    return {
        "messages": moved,
        "seconds": round(seconds, 3),
        "rate_per_s": round(moved / seconds, 1),
        "cpu_percent": round(100 * cpu / seconds, 1),
    }
