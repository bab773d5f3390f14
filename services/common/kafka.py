"""Kafka clients configured the pagewire way, and idempotent topic creation from the catalog."""

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaError, KafkaTimeoutError, TopicAlreadyExistsError, for_code

from services.common.catalog import Catalog, TopicSpec, TopicState
from services.common.retry import Backoff
from services.common.settings import KafkaSettings, Settings
from services.domain.errors import BrokerError

log = logging.getLogger(__name__)
Clients = TypeVar("Clients", bound=tuple[Any, ...])


def producer(settings: KafkaSettings, **overrides: object) -> AIOKafkaProducer:
    """An idempotent producer (acks=all) with compression; nothing it accepts is dropped silently."""
    options: dict[str, object] = {
        "bootstrap_servers": settings.bootstrap,
        "client_id": settings.client_id,
        "acks": "all",
        "enable_idempotence": True,
        "compression_type": None if settings.compression == "none" else settings.compression,
        "max_request_size": settings.max_request_bytes,
        "linger_ms": 5,
    }
    options.update(overrides)
    return AIOKafkaProducer(**options)


def consumer(
    settings: KafkaSettings, *topics: str, group: str, role: str, **overrides: object
) -> AIOKafkaConsumer:
    """A consumer in `group` that commits by hand once the records' effect is done, reads only committed
    records, and starts from the earliest offset when the group has none; `role` names it in client_id."""
    options: dict[str, object] = {
        "bootstrap_servers": settings.bootstrap,
        "client_id": f"{settings.client_id}-{role}",
        "group_id": group,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "isolation_level": "read_committed",
    }
    options.update(overrides)
    return AIOKafkaConsumer(*topics, **options)


async def start_until_stopped(
    make: Callable[[], Clients],
    backoff: Backoff,
    *,
    bootstrap: str,
    give_up_after: float | None = None,
    on_attempt: Callable[[str], None] | None = None,
) -> Clients | None:
    """Start the Kafka clients `make` returns, waiting out a broker that does not answer: a log line per
    attempt (and `on_attempt` with what failed, for /readyz), capped exponential backoff. None once
    `backoff`'s stop is set; BrokerError once `give_up_after` seconds have passed without a broker."""
    started = time.monotonic()
    while not backoff.stopped:
        clients = make()
        try:
            for client in clients:
                await client.start()
        except KafkaError as exc:
            for client in clients:  # a failed start leaves sockets to close; a stopped client cannot restart
                await client.stop()
            await _wait_after(exc, backoff, started, give_up_after, bootstrap, on_attempt)
            continue
        return clients
    return None


async def stop_clients(*clients: AIOKafkaConsumer | AIOKafkaProducer) -> None:
    """Stop every client, in order, each even when one before it did not stop cleanly.

    With no broker answering, aiokafka's consumer.stop() cancels the fetch that waits out its retry backoff
    and re-raises that fetch's CancelledError: a sink's SIGTERM stop ended with a traceback, exit 1 and
    its producer never closed. Such an error is logged; a cancellation of the caller itself propagates."""
    for client in clients:
        try:
            await client.stop()
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise
            log.warning("kafka client stopped uncleanly", extra={"client": type(client).__name__})
        except KafkaError as exc:
            log.warning(
                "kafka client stopped uncleanly", extra={"client": type(client).__name__, "error": str(exc)}
            )


async def stop_producer(client: AIOKafkaProducer, grace: float) -> int:
    """Stop `client` once Kafka acknowledged what it holds, waiting `grace` seconds at most; what is still
    unacknowledged then is dropped (each send's future fails with KafkaTimeoutError). Returns how many
    batches were dropped.

    As the Java producer's close(timeout): aiokafka's stop() waits for every batch, and an idempotent
    producer never expires one whose partition has a known leader, so with that broker gone it never
    returned. Its sender is stopped first (an in-flight request puts its batch back), then the batches are
    failed. aiokafka internals, pinned by tests/contract/test_aiokafka_internals.py."""
    if grace > 0:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(client.flush(), grace)
    await client._sender.close()  # as stop() does first; an in-flight request puts its batch back
    accumulator = client._message_accumulator
    batches = [batch for queue in accumulator._batches.values() for batch in queue]
    batches += accumulator._pending_batches
    if batches:
        # a batch sent once and put back carries a callback that takes it out of the in-flight set when it
        # completes: it has to be found there
        accumulator._pending_batches.update(batches)
        accumulator.fail_all(KafkaTimeoutError())
        for batch in batches:
            batch._drain_waiter.exception()  # retrieved: no "exception never retrieved" at exit
    await stop_clients(client)
    return len(batches)


async def _wait_after(
    failure: KafkaError,
    backoff: Backoff,
    started: float,
    give_up_after: float | None,
    bootstrap: str,
    on_attempt: Callable[[str], None] | None,
) -> None:
    """One failed attempt to reach Kafka: BrokerError once `give_up_after` would pass, else a log line,
    `on_attempt` with what failed, and the backoff's wait."""
    delay = backoff.next_delay()
    if give_up_after is not None and time.monotonic() + delay - started > give_up_after:
        raise BrokerError(
            f"no Kafka broker answered at {bootstrap} within {give_up_after:g}s: {failure}"
        ) from failure
    extra = {"bootstrap": bootstrap, "error": str(failure), "attempt": backoff.failures}
    log.warning("kafka not reachable", extra={**extra, "retry_in_seconds": round(delay, 3)})
    if on_attempt is not None:
        on_attempt(f"{bootstrap} not reachable, attempt {backoff.failures}")
    await backoff.pause(delay)


def admin(settings: KafkaSettings) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap, client_id=f"{settings.client_id}-admin")


@dataclass(frozen=True)
class TopicsReport:
    created: tuple[str, ...]
    existing: tuple[str, ...]


async def ensure_topics(
    settings: KafkaSettings, catalog: Catalog, only: Iterable[TopicSpec] | None = None
) -> TopicsReport:
    """Create the catalog's missing topics; leave existing ones alone. Safe to run any number of times."""
    wanted = {catalog.prefix + spec.name: spec for spec in (only or catalog.topics)}
    client = admin(settings)
    try:
        await client.start()
        existing = set(await client.list_topics())
        cluster = await client.describe_cluster()
        replicas = replication_factor(settings.replication_factor, len(cluster["brokers"]))
        missing = [
            NewTopic(name, spec.partitions, replicas, topic_configs=spec.kafka_config(replicas))
            for name, spec in wanted.items()
            if name not in existing
        ]
        created: list[str] = []
        for topic in missing:
            # aiokafka raises nothing for a topic the broker refused: its error is in the response
            [outcome] = (await client.create_topics([topic])).to_object()["topic_errors"]
            error = for_code(outcome["error_code"])
            if outcome["error_code"] == 0:
                created.append(topic.name)
            elif error is TopicAlreadyExistsError:
                existing.add(topic.name)  # a concurrent creator won the race, or metadata lagged behind it
            else:
                raise BrokerError(
                    f"could not create topic {topic.name} on {settings.bootstrap}: "
                    f"{outcome.get('error_message') or error.__name__}"
                )
        await _until_listed(client, created)
        return TopicsReport(
            tuple(sorted(created)), tuple(sorted(name for name in wanted if name in existing))
        )
    except KafkaError as exc:
        raise BrokerError(f"could not create topics on {settings.bootstrap}: {exc}") from exc
    finally:
        await client.close()


async def _until_listed(client: AIOKafkaAdminClient, names: list[str], timeout: float = 10.0) -> None:
    """Wait (a bounded while) until the broker lists the topics just made: its metadata catches up with the
    controller a moment later, and the next command (a worker, `topics check`) should find them."""
    for _ in range(round(timeout / 0.1)):
        if set(names) <= set(await client.list_topics()):
            return
        await asyncio.sleep(0.1)


async def topic_states(settings: KafkaSettings, names: Iterable[str]) -> tuple[dict[str, TopicState], int]:
    """The cluster's state of each of `names` that exists, and the replication factor topics made now get
    (PAGEWIRE_TOPIC_REPLICATION_FACTOR, or "auto" against the cluster's brokers)."""
    client = admin(settings)
    try:
        await client.start()
        present = set(await client.list_topics())
        found = [name for name in names if name in present]
        brokers = len((await client.describe_cluster())["brokers"])
        states: dict[str, TopicState] = {}
        if found:
            configs: dict[str, dict[str, str]] = {}
            resources = [ConfigResource(ConfigResourceType.TOPIC, name) for name in found]
            for response in await client.describe_configs(resources):
                for resource in response.to_object()["resources"]:
                    configs[resource["resource_name"]] = {
                        entry["config_names"]: entry["config_value"] for entry in resource["config_entries"]
                    }
            for described in await client.describe_topics(found):
                partitions = described["partitions"]
                replicas = len(partitions[0]["replicas"]) if partitions else 0
                name = described["topic"]
                states[name] = TopicState(len(partitions), replicas, configs.get(name, {}))
        return states, replication_factor(settings.replication_factor, brokers)
    except KafkaError as exc:
        raise BrokerError(f"could not describe topics on {settings.bootstrap}: {exc}") from exc
    finally:
        await client.close()


async def missing_topics(settings: KafkaSettings, names: Iterable[str]) -> list[str]:
    """Those of `names` the cluster does not have, in order (KafkaError when it cannot be asked)."""
    client = admin(settings)
    try:
        await client.start()
        present = set(await client.list_topics())
        return [name for name in names if name not in present]
    finally:
        await client.close()


async def delete_topics(settings: KafkaSettings, names: Iterable[str]) -> None:
    client = admin(settings)
    try:
        await client.start()
        present = set(await client.list_topics())
        doomed = [name for name in names if name in present]
        if doomed:
            await client.delete_topics(doomed)
    finally:
        await client.close()


def start_wait(settings: KafkaSettings) -> float | None:
    """How long a long-running process waits for Kafka at start (PAGEWIRE_KAFKA_START_WAIT); None: forever."""
    return settings.start_wait_seconds or None


async def cluster_brokers(settings: KafkaSettings) -> int:
    """How many brokers the cluster has (KafkaError when none answers)."""
    client = admin(settings)
    try:
        await client.start()
        return len((await client.describe_cluster())["brokers"])
    finally:
        await client.close()


async def wait_for_cluster(
    settings: KafkaSettings, backoff: Backoff, on_attempt: Callable[[str], None] | None = None
) -> int | None:
    """The cluster's broker count once one answers: a log line per failed attempt (and `on_attempt` with
    what failed), capped exponential backoff, BrokerError past PAGEWIRE_KAFKA_START_WAIT, None once
    `backoff`'s stop is set."""
    started = time.monotonic()
    while not backoff.stopped:
        try:
            return await cluster_brokers(settings)
        except KafkaError as exc:
            await _wait_after(exc, backoff, started, start_wait(settings), settings.bootstrap, on_attempt)
    return None


def with_brokers(settings: Settings, brokers: int) -> Settings:
    """Settings whose replication factor is a number: 0 ("auto") resolved against the cluster's brokers."""
    if settings.kafka.replication_factor > 0:
        return settings
    factor = replication_factor(0, brokers)
    return replace(settings, kafka=replace(settings.kafka, replication_factor=factor))


def replication_factor(configured: int, brokers: int) -> int:
    """The configured factor, or with 0 ("auto") up to 3 replicas as the cluster's brokers allow."""
    return configured if configured > 0 else max(1, min(3, brokers))


@dataclass(frozen=True)
class TopicRecord:
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]


async def read_to_end(settings: KafkaSettings, topic: str, timeout: float = 30.0) -> list[TopicRecord]:
    """Every record on `topic` up to its end offsets at the time of the call, in (partition, offset) order."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap, enable_auto_commit=False, group_id=None)
    await consumer.start()
    try:
        partitions = await _partitions_of(consumer, topic, timeout)
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[TopicRecord] = []
        deadline = asyncio.get_running_loop().time() + timeout
        while any([await consumer.position(tp) < end for tp, end in ends.items()]):
            if asyncio.get_running_loop().time() > deadline:
                raise BrokerError(f"timed out reading {topic}")
            for messages in (await consumer.getmany(*partitions, timeout_ms=500)).values():
                records.extend(
                    TopicRecord(
                        m.partition, m.offset, m.key, m.value, tuple((k, bytes(v)) for k, v in m.headers)
                    )
                    for m in messages
                    if m.offset < ends[TopicPartition(topic, m.partition)]
                )
        return sorted(records, key=lambda record: (record.partition, record.offset))
    finally:
        await consumer.stop()


async def _partitions_of(consumer: AIOKafkaConsumer, topic: str, timeout: float) -> list[TopicPartition]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = consumer.partitions_for_topic(topic)
        if found:
            return [TopicPartition(topic, partition) for partition in sorted(found)]
        if asyncio.get_running_loop().time() > deadline:
            raise BrokerError(f"topic {topic} does not exist on {settings_hint(consumer)}")
        await consumer._client.force_metadata_update()
        await asyncio.sleep(0.2)


def settings_hint(consumer: AIOKafkaConsumer) -> str:
    return ",".join(str(server) for server in consumer._client._bootstrap_servers)


async def message_counts(settings: KafkaSettings, topics: Iterable[str]) -> dict[str, int]:
    """End offsets summed over each existing topic's partitions (its message count when none were deleted)."""
    names = list(topics)
    client = admin(settings)
    await client.start()
    try:
        described = await client.describe_topics(names)
    finally:
        await client.close()
    partitions = [
        TopicPartition(topic["topic"], partition["partition"])
        for topic in described
        if topic["error_code"] == 0
        for partition in topic["partitions"]
    ]
    counts = {topic["topic"]: 0 for topic in described if topic["error_code"] == 0}
    if not partitions:
        return counts
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap, enable_auto_commit=False, group_id=None)
    await consumer.start()
    try:
        consumer.assign(partitions)
        for partition, end in (await consumer.end_offsets(partitions)).items():
            counts[partition.topic] += end
        return counts
    finally:
        await consumer.stop()
