"""Consumer-group offsets on the real broker: wait until a group committed everything, or rewind it."""

import asyncio
import time
import uuid
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, TopicPartition

from services.common.catalog import Catalog
from services.common.settings import KafkaSettings


async def _group_client(settings: KafkaSettings, group: str) -> AIOKafkaConsumer:
    # a group id without subscribe(): reads and writes the group's offsets without joining it
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap,
        group_id=group,
        enable_auto_commit=False,
        client_id=f"test-offsets-{uuid.uuid4().hex[:6]}",
    )
    await consumer.start()
    return consumer


def partitions(catalog: Catalog, names: Iterable[str]) -> list[TopicPartition]:
    """Every partition of the catalog topics `names`, as the catalog counts them."""
    return [
        TopicPartition(catalog.name(name), number)
        for name in names
        for number in range(catalog.spec(name).partitions)
    ]


async def behind(settings: KafkaSettings, group: str, catalog: Catalog, names: Iterable[str]) -> int:
    """Messages on the catalog topics `names` past the group's committed offsets."""
    consumer = await _group_client(settings, group)
    try:
        wanted = partitions(catalog, names)
        ends = await consumer.end_offsets(wanted)
        total = 0
        for partition in wanted:
            committed = await consumer.committed(partition)
            total += ends[partition] - (committed or 0)
        return total
    finally:
        await consumer.stop()


async def wait_caught_up(
    settings: KafkaSettings, group: str, catalog: Catalog, names: Iterable[str], timeout: float = 60.0
) -> None:
    """Return once the group committed every message now on those topics; AssertionError at the timeout."""
    names = list(names)
    deadline = time.monotonic() + timeout
    while (left := await behind(settings, group, catalog, names)) > 0:
        if time.monotonic() > deadline:
            raise AssertionError(f"group {group} still {left} messages behind after {timeout}s")
        await asyncio.sleep(0.2)


async def rewind(settings: KafkaSettings, group: str, catalog: Catalog, names: Iterable[str]) -> None:
    """Commit offset 0 on every partition, as `kafka-consumer-groups --reset-offsets --to-earliest` does."""
    consumer = await _group_client(settings, group)
    try:
        wanted = partitions(catalog, names)
        consumer.assign(wanted)
        await consumer.commit(dict.fromkeys(wanted, 0))
    finally:
        await consumer.stop()


async def committed(settings: KafkaSettings, group: str, catalog: Catalog, names: Iterable[str]) -> int:
    """The group's committed offsets on the catalog topics `names`, summed (0 where it committed none)."""
    consumer = await _group_client(settings, group)
    try:
        return sum([(await consumer.committed(partition)) or 0 for partition in partitions(catalog, names)])
    finally:
        await consumer.stop()
