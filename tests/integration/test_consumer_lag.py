"""Consumer lag on the real broker: end offset minus position per partition, series dropped when revoked."""

import asyncio
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import NewTopic

from services.common.kafka import admin
from services.common.lag import LagReporter, aiokafka_lag, report_consumer_lag
from services.common.metrics import REGISTRY
from services.common.settings import Settings


def _lag(topic: str, partition: int) -> float | None:
    return REGISTRY.get_sample_value(
        "pagewire_consumer_lag_messages", {"topic": topic, "partition": str(partition)}
    )


async def _topic_with_messages(settings: Settings, per_partition: dict[int, int]) -> str:
    topic = f"{settings.kafka.topic_prefix}observe-lag-{uuid.uuid4().hex[:6]}"
    client = admin(settings.kafka)
    await client.start()
    try:
        await client.create_topics([NewTopic(topic, len(per_partition), 1)])
    finally:
        await client.close()
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka.bootstrap)
    await producer.start()
    try:
        for partition, count in per_partition.items():
            for number in range(count):
                await producer.send_and_wait(topic, f"m{number}".encode(), partition=partition)
    finally:
        await producer.stop()
    return topic


async def test_lag_is_end_offset_minus_position_and_follows_consumption(kafka: Settings) -> None:
    topic = await _topic_with_messages(kafka, {0: 10, 1: 4})
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka.kafka.bootstrap, group_id=None, enable_auto_commit=False
    )
    await consumer.start()
    reporter = LagReporter()
    try:
        first, second = TopicPartition(topic, 0), TopicPartition(topic, 1)
        consumer.assign([first, second])
        await consumer.seek_to_beginning(first, second)
        consumer.pause(second)  # so only partition 0 moves
        read = 0
        while read < 3:
            batch = await consumer.getmany(first, timeout_ms=1000, max_records=3 - read)
            read += sum(len(messages) for messages in batch.values())

        reporter.publish(await aiokafka_lag(consumer))
        assert (_lag(topic, 0), _lag(topic, 1)) == (7.0, 4.0)

        consumer.assign([first])  # partition 1 went to another process in a rebalance
        consumer.seek(first, 3)  # where the new assignment resumes (the committed offset, in a group)
        reporter.publish(await aiokafka_lag(consumer))
        assert (_lag(topic, 0), _lag(topic, 1)) == (7.0, None)
    finally:
        reporter.clear()
        await consumer.stop()
    assert _lag(topic, 0) is None


async def test_the_reporting_task_measures_periodically_and_clears_when_cancelled(kafka: Settings) -> None:
    topic = await _topic_with_messages(kafka, {0: 5})
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka.kafka.bootstrap, group_id=None, enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, 0)])
        await consumer.seek_to_beginning(TopicPartition(topic, 0))
        task = asyncio.create_task(report_consumer_lag(consumer, interval=0.1))
        for _ in range(100):
            if _lag(topic, 0) == 5.0:
                break
            await asyncio.sleep(0.05)
        assert _lag(topic, 0) == 5.0
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        assert _lag(topic, 0) is None
    finally:
        await consumer.stop()
