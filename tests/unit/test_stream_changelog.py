"""The worker's held changelog: a table change is written only after its event's outputs are acknowledged."""

import asyncio
import json
from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka.structs import RecordMetadata, TopicPartition

from services.stream.changelog import DeferredChangelog


class ChangelogTopic:
    """A table's changelog topic: what was written to it, decoded, in order."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.written: list[tuple[Any, Any, int | None]] = []
        self.raw_values: list[bytes | None] = []

    def get_topic_name(self) -> str:
        return self.name


class Producer:
    """The app's producer: records every send on its topic's fake and acknowledges it at once."""

    def __init__(self) -> None:
        self.topics: dict[str, ChangelogTopic] = {}
        self.offset = 0

    async def send(
        self, topic: str, key: bytes, value: bytes | None, partition: int | None, *_: Any
    ) -> "asyncio.Future[Any]":
        changelog = self.topics[topic]
        changelog.written.append((json.loads(key), None if value is None else json.loads(value), partition))
        changelog.raw_values.append(value)
        self.offset += 1
        sent: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        where = TopicPartition(topic, partition or 0)
        sent.set_result(RecordMetadata(topic, where.partition, where, self.offset, -1, -1, 0))
        return sent


class Table:
    """The attributes of a Faust table the changelog queue uses."""

    key_serializer = value_serializer = "json"

    def __init__(self, producer: Producer | None = None) -> None:
        self.changelog_topic = ChangelogTopic(f"table-{id(self)}-changelog")
        producer = producer or Producer()
        producer.topics[self.changelog_topic.name] = self.changelog_topic
        self.app = SimpleNamespace(producer=producer)
        self.persisted: list[int] = []

    def _on_changelog_sent(self, sent: "asyncio.Future[Any]") -> None:
        self.persisted.append(sent.result().offset)


def event(queue: DeferredChangelog, table: Table, *changes: tuple[str, str]) -> "asyncio.Future[Any]":
    """One processed event that changed `changes` (key, value) on partition 3; its outputs future."""
    for key, value in changes:
        queue.hold(table, 3, key, value)
    return queue.seal()


def acknowledged() -> "asyncio.Future[Any]":
    done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    done.set_result(None)
    return done


async def test_changes_wait_for_their_outputs_and_keep_their_order() -> None:
    queue, table = DeferredChangelog(), Table()
    first = event(queue, table, ("KGS", "a1"), ("TJS", "b1"))
    second = event(queue, table, ("KGS", "a2"))
    pending: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    second.set_result([acknowledged()])
    first.set_result([pending, acknowledged()])

    await queue.release_ready()
    assert table.changelog_topic.written == []  # the first event's output is still in flight
    assert queue.held == 2

    pending.set_result(None)
    await queue.release_ready()
    assert table.changelog_topic.written == [("KGS", "a1", 3), ("TJS", "b1", 3), ("KGS", "a2", 3)]
    assert queue.held == 0


async def test_release_all_waits_for_outputs_not_yet_handed_to_the_producer() -> None:
    queue, table = DeferredChangelog(), Table()
    outputs = event(queue, table, ("KGS", "a1"))
    releasing = asyncio.create_task(queue.release_all())
    await asyncio.sleep(0.01)
    assert not releasing.done() and table.changelog_topic.written == []

    outputs.set_result([acknowledged()])
    await asyncio.wait_for(releasing, 1)
    assert table.changelog_topic.written == [("KGS", "a1", 3)]


async def test_a_failed_output_keeps_its_change_and_every_later_one_unwritten() -> None:
    queue, table = DeferredChangelog(), Table()
    failed: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    failed.set_exception(ConnectionError("broker refused the article"))
    event(queue, table, ("article-1", "seen")).set_result([failed])
    event(queue, table, ("KGS", "a2")).set_result([acknowledged()])

    await queue.release_ready()
    with pytest.raises(ConnectionError, match="refused the article"):
        await queue.release_all()
    assert table.changelog_topic.written == []
    assert queue.held == 2


async def test_outputs_that_could_not_be_sent_fail_the_release() -> None:
    queue, table = DeferredChangelog(), Table()
    event(queue, table, ("KGS", "a1")).set_exception(RuntimeError("outputs not sent"))
    await queue.release_ready()
    with pytest.raises(RuntimeError, match="outputs not sent"):
        await queue.release_all()
    assert table.changelog_topic.written == []


async def test_a_deletion_is_held_in_order_and_written_as_a_tombstone() -> None:
    queue, table = DeferredChangelog(), Table()
    queue.hold(table, 3, "KGS#0", {"runs": []})
    queue.hold(table, 3, "KGS", "a1")
    queue.hold(table, 3, "KGS#0", None)
    queue.seal().set_result([acknowledged()])
    await queue.release_ready()
    assert table.changelog_topic.written == [("KGS#0", {"runs": []}, 3), ("KGS", "a1", 3), ("KGS#0", None, 3)]
    # a None value goes out as Kafka's null (a tombstone), not as the JSON text null
    assert table.changelog_topic.raw_values == [b'{"runs":[]}', b'"a1"', None]
    await asyncio.sleep(0)  # done callbacks run on the next turn of the loop
    assert table.persisted == [1, 2, 3]  # what RocksDB is told it holds
