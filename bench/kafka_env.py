"""The benchmark's Kafka plumbing: a fresh topic prefix per part, bulk preloading, offsets read back."""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from services.common.catalog import Catalog, load_catalog
from services.common.kafka import admin, ensure_topics, producer
from services.common.settings import Settings
from services.localkafka.host import answers

RUN_ID = uuid.uuid4().hex[:8]
PRELOAD_WINDOW = 2000  # records in flight while preloading: enough to fill batches, bounded in memory


@dataclass(frozen=True)
class Part:
    """One benchmark part's private corner of the broker: its prefix, settings and catalog."""

    prefix: str
    settings: Settings
    catalog: Catalog
    env: dict[str, str]  # what a pagewire subprocess of this part gets


def part_env(prefix: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    return {**os.environ, "PAGEWIRE_TOPIC_PREFIX": prefix, **(extra or {})}


async def broker_answers(settings: Settings) -> bool:
    return await answers(settings.kafka.bootstrap)


@asynccontextmanager
async def fresh_part(name: str, extra_env: Mapping[str, str] | None = None) -> AsyncIterator[Part]:
    """The whole catalog created under `pwbench-<run>-<name>.`; every topic of that prefix deleted after."""
    prefix = f"pwbench-{RUN_ID}-{name}."
    env = part_env(prefix, extra_env)
    settings = Settings.load(env)
    catalog = load_catalog(prefix)
    await ensure_topics(settings.kafka, catalog)
    try:
        yield Part(prefix, settings, catalog, env)
    finally:
        await delete_prefixed(settings, prefix)


async def delete_prefixed(settings: Settings, prefix: str) -> None:
    """The catalog's topics and whatever Faust made under the prefix (changelogs, tick topics)."""
    client = admin(settings.kafka)
    await client.start()
    try:
        doomed = [topic for topic in await client.list_topics() if topic.startswith(prefix)]
        if doomed:
            await client.delete_topics(doomed)
    finally:
        await client.close()


async def preload(
    settings: Settings, topic: str, records: Iterable[tuple[bytes, bytes, tuple[tuple[str, bytes], ...]]]
) -> int:
    """Send (key, value, headers) as fast as the pagewire producer settings allow; wait for every ack."""
    client = producer(settings.kafka, linger_ms=20, max_batch_size=1_048_576)
    await client.start()
    sent = 0
    try:
        pending: list[asyncio.Future[object]] = []
        for key, value, headers in records:
            pending.append(await client.send(topic, value, key=key, headers=list(headers)))
            sent += 1
            if len(pending) >= PRELOAD_WINDOW:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await client.stop()
    return sent


class Offsets:
    """End offsets of topics and committed offsets of groups, summed over partitions."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka.bootstrap, group_id=None)
        self._admin: AIOKafkaAdminClient = admin(settings.kafka)
        self._partitions: dict[str, list[TopicPartition]] = {}

    async def __aenter__(self) -> "Offsets":
        await self._consumer.start()
        await self._admin.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._consumer.stop()
        await self._admin.close()

    async def partitions(self, topic: str) -> list[TopicPartition]:
        if topic not in self._partitions:
            for _ in range(100):
                found = self._consumer.partitions_for_topic(topic)
                if found:
                    self._partitions[topic] = [TopicPartition(topic, p) for p in sorted(found)]
                    break
                await self._consumer._client.force_metadata_update()
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError(f"topic {topic} does not exist")
        return self._partitions[topic]

    async def end(self, *topics: str) -> int:
        partitions = [tp for topic in topics for tp in await self.partitions(topic)]
        ends = await self._consumer.end_offsets(partitions)
        return sum(ends.values())

    async def prefixed(self, prefix: str) -> list[str]:
        """Every topic whose name starts with `prefix`: the catalog's and those Faust made (changelogs)."""
        return sorted(topic for topic in await self._admin.list_topics() if topic.startswith(prefix))

    async def committed(self, group: str, *topics: str) -> int:
        offsets = await self._admin.list_consumer_group_offsets(group)
        return sum(meta.offset for tp, meta in offsets.items() if tp.topic in topics and meta.offset > 0)
