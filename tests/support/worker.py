"""`pagewire worker` as a real subprocess for integration tests, snapshots to feed it, its outputs read."""

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from services.common import codec
from services.common.catalog import Catalog, load_catalog
from services.common.kafka import ensure_topics, producer
from services.common.settings import KafkaSettings, Settings
from services.domain.instants import parse_instant
from services.domain.page.snapshot import Snapshot
from tests.conftest import REPO, SEED
from tests.support.processes import PagewireProcess

URL = "https://timesca.com/news/"


def snapshot(
    site: str, fetched_at: str, body: bytes | None = None, content_type: str = "text/plain"
) -> Snapshot:
    return Snapshot(
        SEED.read_bytes() if body is None else body, URL, site, parse_instant(fetched_at), content_type, None
    )


def one_pair_page(kgs: str = "0.01144 0%") -> bytes:
    """The seed with KGS/USD the only pair in its marquee, so one silence is one stale event."""
    lines = SEED.read_bytes().splitlines(keepends=True)
    page = b"".join(line for line in lines if b"/USD" not in line or b"KGS/USD" in line)
    return page.replace(b"KGS/USD = 0.01144 0%", f"KGS/USD = {kgs}".encode())


def sample(site: str, name: str) -> Snapshot:
    """A bundled sample (samples/replay/20250219T090000Z.txt...), fetched at the time its name says."""
    path = REPO / "samples" / name
    stamp = re.sub(r"^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$", r"\1-\2-\3T\4:\5:\6Z", path.stem)
    kind = "text/html" if path.suffix == ".html" else "text/plain"
    return snapshot(site, stamp, path.read_bytes(), kind)


def record(item: Snapshot) -> tuple[bytes, bytes]:
    """A snapshots.raw record as the producer writes it: key = site, value = the envelope."""
    return item.site.encode(), codec.encode(item.to_envelope())


@dataclass(frozen=True)
class Sent:
    partition: int
    offset: int


def polled(item: Snapshot) -> int:
    """The record timestamp (epoch ms) of a page produced 2 s after it was fetched: live polling, not a
    replay (services.domain.replay), whatever the page's own time."""
    return int(item.fetched_at.timestamp() * 1000) + 2000


async def send(
    settings: Settings,
    records: Sequence[tuple[bytes | None, bytes]],
    *,
    timestamps_ms: Sequence[int] | None = None,
) -> list[Sent]:
    """Send to snapshots.raw in order, each record at its timestamp (None: produced now); where each
    landed."""
    client = producer(settings.kafka)
    await client.start()
    try:
        topic = load_catalog(settings.kafka.topic_prefix).name("snapshots.raw")
        stamps: Sequence[int | None] = timestamps_ms or [None] * len(records)
        sent = [
            await client.send_and_wait(topic, value, key=key, timestamp_ms=stamp)
            for (key, value), stamp in zip(records, stamps, strict=True)
        ]
        return [Sent(meta.partition, meta.offset) for meta in sent]
    finally:
        await client.stop()


@dataclass(frozen=True)
class Output:
    """One message on a worker output topic, decoded and validated against the catalog's schema."""

    topic: str  # catalog name, without the prefix
    key: str
    value: dict[str, Any]


async def read_outputs(
    kafka: KafkaSettings,
    catalog: Catalog,
    names: Sequence[str],
    until: Callable[[list[Output]], bool],
    *,
    timeout: float = 60.0,
    settle: float = 1.5,
) -> list[Output]:
    """Everything on `names` from the beginning, once `until(outputs)` holds and `settle` more seconds
    brought nothing new (so a test also sees what should not be there). Fails on a schema violation."""
    schemas = {catalog.name(name): (name, catalog.spec(name).value) for name in names}
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka.bootstrap, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topic, partition)
            for topic in schemas
            for partition in sorted(
                consumer.partitions_for_topic(topic) or await _partitions(consumer, topic)
            )
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        outputs: list[Output] = []
        deadline = time.monotonic() + timeout
        quiet_since: float | None = None
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for messages in batch.values():
                for message in messages:
                    name, schema = schemas[message.topic]
                    value = codec.decode(message.value, schema)
                    outputs.append(Output(name, (message.key or b"").decode(), value))
            if batch:
                quiet_since = None
            elif until(outputs):
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since >= settle:
                    return outputs
        raise AssertionError(f"timed out; got {len(outputs)} outputs: {outputs!r:.3000}")
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    for _ in range(50):
        await consumer._client.force_metadata_update()
        found: set[int] | None = consumer.partitions_for_topic(topic)
        if found:
            return found
        await asyncio.sleep(0.2)
    raise AssertionError(f"topic {topic} does not exist")


def of_site(outputs: list[Output], topic: str, site: str) -> list[Output]:
    return [output for output in outputs if output.topic == topic and output.value.get("site") == site]


async def private_topics(kafka: Settings, name: str) -> dict[str, str]:
    """Catalog topics under a prefix of their own inside the session prefix (removed with it)."""
    prefix = f"{kafka.kafka.topic_prefix}{name}-{uuid.uuid4().hex[:4]}."
    await ensure_topics(kafka.kafka, load_catalog(prefix))
    return {"PAGEWIRE_TOPIC_PREFIX": prefix}


@dataclass(frozen=True)
class OwnTopics:
    """Topics of one test (private_topics): the prefix variable, their catalog, settings that reach them."""

    env: dict[str, str]
    catalog: Catalog
    settings: Settings

    @property
    def prefix(self) -> str:
        return self.env["PAGEWIRE_TOPIC_PREFIX"]


async def own_topics(kafka: Settings, name: str) -> OwnTopics:
    env = await private_topics(kafka, name)
    settings = Settings.load({"PAGEWIRE_KAFKA_BOOTSTRAP": kafka.kafka.bootstrap, **env})
    return OwnTopics(env, load_catalog(env["PAGEWIRE_TOPIC_PREFIX"]), settings)


class Worker(PagewireProcess):
    """A `pagewire worker` subprocess logging to a file; started, stopped and restarted. Its store is the
    memory store unless `env` names one (PAGEWIRE_WORKER_STORE)."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        super().__init__(("worker",), {"PAGEWIRE_WORKER_STORE": "memory", **env}, log)


@asynccontextmanager
async def running_worker(env: dict[str, str], log: Path) -> AsyncIterator[Worker]:
    worker = Worker(env, log)
    await worker.start()
    try:
        yield worker
    finally:
        code = await worker.stop()
        assert code == 0, f"worker exited with {code}:\n{worker.tail()}"
