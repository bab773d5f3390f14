"""The worker's consumer goes back to the group's committed offsets after Faust drops records in hand, on
partitions where the group has committed nothing yet too (services/stream/app.py rewind_to_committed)."""

import asyncio
import time
import uuid

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import OffsetAndMetadata

from services.common.kafka import consumer
from services.common.settings import Settings
from services.stream.app import rewind_to_committed
from tests.support.kafka import send
from tests.support.worker import own_topics

Read = tuple[int, int, bytes | None]  # partition, offset, key


async def fetch(client: AIOKafkaConsumer, count: int, timeout: float = 20.0) -> list[Read]:
    """What getmany returns until `count` records came (or, with count 0, in one second)."""
    found: list[Read] = []
    deadline = time.monotonic() + (1.0 if count == 0 else timeout)
    while time.monotonic() < deadline and (count == 0 or len(found) < count):
        batches = await client.getmany(timeout_ms=200)
        found += [(r.partition, r.offset, r.key) for records in batches.values() for r in records]
    return sorted(found)


async def test_records_fetched_and_dropped_are_fetched_again_where_the_group_committed_nothing(
    kafka: Settings,
) -> None:
    own = await own_topics(kafka, "rewind")
    topic = own.catalog.name("snapshots.raw")
    keys = [b"a.example", b"b.example", b"c.example"]
    await send(kafka.kafka, topic, [(key, b"{}") for key in keys])
    client = consumer(kafka.kafka, topic, group=f"rewind-{uuid.uuid4().hex[:6]}", role="test")
    await client.start()
    try:
        first = await fetch(client, 3)
        assert sorted(key for _, _, key in first) == keys

        # what Faust does after dropping them: aiokafka's seek leaves uncommitted partitions where they are
        await client.seek_to_committed()
        assert await fetch(client, 0) == []

        # the worker's seek reads them again, from each partition's beginning; every partition keeps a
        # position all along, since Faust's livelock check reads it meanwhile (and crashed the worker when
        # it found none: seek_to_beginning leaves it unset until the broker answered)
        assignment = client._subscription.subscription.assignment  # what Faust's verify_event_path reads
        partitions = client.assignment()
        rewinding = asyncio.create_task(rewind_to_committed(client))
        unset = 0
        while not rewinding.done():
            unset += sum(not assignment.state_value(tp).has_valid_position for tp in partitions)
            await asyncio.sleep(0)
        committed = await rewinding
        assert set(committed.values()) == {None} and unset == 0
        assert await fetch(client, 3) == first

        # where the group committed, from its commit: the first record is done, the others come again
        partition, offset, _ = first[0]
        await client.commit({TopicPartition(topic, partition): OffsetAndMetadata(offset + 1, "")})
        committed = await rewind_to_committed(client)
        assert committed[TopicPartition(topic, partition)] == offset + 1
        assert await fetch(client, 2) == first[1:]
    finally:
        await client.stop()
