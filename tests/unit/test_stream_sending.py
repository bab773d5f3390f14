"""The snapshot agent's send batches: outputs of several handled events reach the producer together and in
order, each event's table changes still wait for its outputs, and a flush (before every commit) hands over
whatever a batch holds, so an acknowledged event is never committed unsent."""

import asyncio
from typing import Any

import pytest
from aiokafka.structs import RecordMetadata, TopicPartition

from services.common.catalog import load_catalog
from services.common.taxonomy_file import load_taxonomy
from services.stream.changelog import DeferredChangelog, HeldTable
from services.stream.outputs import Outputs
from services.stream.sending import SendBatch
from tests.unit.test_stream_changelog import FaustTable, settled
from tests.unit.test_stream_changelog import Producer as ChangelogProducer


class Producer:
    """The app's producer as the outputs use it: records every send with its topic; acks at once, or when
    told (`hold=True`), or fails every send (`fail`)."""

    def __init__(self, fail: str | None = None, *, hold: bool = False) -> None:
        self.fail = fail
        self.hold = hold
        self.sent: list[tuple[str, bytes, bytes | None]] = []
        self.in_flight: list[tuple[asyncio.Future[Any], RecordMetadata]] = []

    async def send(
        self, topic: str, key: bytes, value: bytes | None, partition: int | None, *_: Any
    ) -> "asyncio.Future[Any]":
        if self.fail is not None:
            raise RuntimeError(self.fail)
        self.sent.append((topic, key, value))
        acknowledged: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        where = TopicPartition(topic, partition or 0)
        metadata = RecordMetadata(topic, where.partition, where, len(self.sent), -1, -1, 0)
        if self.hold:
            self.in_flight.append((acknowledged, metadata))
        else:
            acknowledged.set_result(metadata)
        return acknowledged

    def acknowledge(self, count: int) -> None:
        for acknowledged, metadata in self.in_flight[:count]:
            acknowledged.set_result(metadata)
        del self.in_flight[:count]


def batch_of(
    max_events: int, producer: Producer | None = None
) -> tuple[SendBatch, Outputs, DeferredChangelog, HeldTable, Producer, FaustTable]:
    producer = producer or Producer()
    outputs = Outputs(load_catalog(""), load_taxonomy())
    changelog = DeferredChangelog(batch_events=1)
    faust_table = FaustTable(ChangelogProducer())
    table = HeldTable(faust_table, changelog)  # type: ignore[arg-type]
    return (
        SendBatch(producer, outputs, changelog, max_events=max_events),
        outputs,
        changelog,
        table,
        producer,
        faust_table,
    )


def handle(batch: SendBatch, outputs: Outputs, table: HeldTable, number: int, *, rows: int = 0) -> None:
    """What the snapshot stage does for one event: a table change, a summary and `rows` ticker rows, then
    the batch's note."""
    table[f"site-{number}"] = {"seen": number}
    outputs.send_raw("snapshots.parsed", f"site-{number}".encode(), b'{"n": %d}' % number)
    for _ in range(rows):
        outputs.send_raw("ticker.rows", f"site-{number}".encode(), b"{}")
    batch.handled()


async def test_the_outputs_of_a_batch_reach_the_producer_together_in_the_order_they_were_made() -> None:
    batch, outputs, _, table, producer, faust_table = batch_of(3)
    for number in (1, 2):
        handle(batch, outputs, table, number)
    assert (batch.held, batch.full, producer.sent) == (2, False, [])
    handle(batch, outputs, table, 3)
    assert batch.full

    await batch.send_and_release()

    assert producer.sent == [
        ("snapshots.parsed", b"site-1", b'{"n": 1}'),
        ("snapshots.parsed", b"site-2", b'{"n": 2}'),
        ("snapshots.parsed", b"site-3", b'{"n": 3}'),
    ]
    assert (batch.held, batch.full) == (0, False)
    await settled()  # the changelog's acknowledgements are applied on a later turn of the loop
    assert faust_table.data.data == {"site-1": {"seen": 1}, "site-2": {"seen": 2}, "site-3": {"seen": 3}}


async def test_table_changes_of_a_held_event_wait_for_the_batch_to_be_sent() -> None:
    batch, outputs, changelog, table, producer, faust_table = batch_of(64)
    handle(batch, outputs, table, 1)

    await changelog.release_ready()  # what the staleness agent's send would do meanwhile

    assert (producer.sent, faust_table.data.data, changelog.held) == ([], {}, 1)
    assert table.get("site-1") == {"seen": 1}  # this worker reads its own change at once all the same


async def test_each_event_of_a_batch_waits_for_its_own_outputs_only() -> None:
    batch, outputs, changelog, table, producer, faust_table = batch_of(64, Producer(hold=True))
    handle(batch, outputs, table, 1)
    handle(batch, outputs, table, 2, rows=1)  # two outputs
    await batch.send_and_release()

    producer.acknowledge(1)  # the first event's output
    await changelog.release_ready()
    await settled()
    assert faust_table.data.data == {"site-1": {"seen": 1}}

    producer.acknowledge(1)  # one of the second event's two: its change still waits
    await changelog.release_ready()
    await settled()
    assert faust_table.data.data == {"site-1": {"seen": 1}}

    producer.acknowledge(1)
    await changelog.release_ready()
    await settled()
    assert faust_table.data.data == {"site-1": {"seen": 1}, "site-2": {"seen": 2}}


async def test_a_flush_hands_over_what_a_batch_holds_before_it_waits_for_it() -> None:
    # the agent handled two events and waits for a third that may never come; Faust's commit flushes
    batch, outputs, changelog, table, producer, faust_table = batch_of(64)
    handle(batch, outputs, table, 1)
    handle(batch, outputs, table, 2)

    await asyncio.wait_for(changelog.release_all(batch.send), timeout=5)

    assert [key for _, key, _ in producer.sent] == [b"site-1", b"site-2"]
    assert faust_table.data.data == {"site-1": {"seen": 1}, "site-2": {"seen": 2}}
    assert (batch.held, changelog.held) == (0, 0)


async def test_without_the_flush_hook_a_held_batch_would_hold_the_commit_back() -> None:
    # why release_all is given the batch's send: the outputs of a held event are not on Kafka yet
    batch, outputs, changelog, table, producer, _ = batch_of(64)
    handle(batch, outputs, table, 1)

    with pytest.raises(TimeoutError):
        await asyncio.wait_for(changelog.release_all(), timeout=0.2)
    assert producer.sent == []


async def test_a_refused_send_fails_every_event_of_the_batch_and_the_flush_before_a_commit() -> None:
    refused = Producer(fail="broker unreachable")
    batch, outputs, changelog, table, _, faust_table = batch_of(64, refused)
    handle(batch, outputs, table, 1)
    handle(batch, outputs, table, 2)

    with pytest.raises(RuntimeError, match="broker unreachable"):
        await batch.send()
    with pytest.raises(RuntimeError, match="broker unreachable"):
        await changelog.release_all(batch.send)  # so Faust commits no offset past these events

    assert faust_table.data.data == {}
    assert changelog.held == 2


def test_a_batch_holds_at_least_one_event() -> None:
    outputs = Outputs(load_catalog(""), load_taxonomy())
    with pytest.raises(ValueError, match="a send batch must hold at least one event, not 0"):
        SendBatch(Producer(), outputs, DeferredChangelog(), max_events=0)


async def test_the_agent_holds_its_batch_while_events_wait_and_sends_a_lone_event_at_once() -> None:
    batch, outputs, _, table, producer, _ = batch_of(2)
    waiting: asyncio.Queue[int] = asyncio.Queue()
    waiting.put_nowait(2)  # the next event is already buffered: the first one's outputs wait for it
    handle(batch, outputs, table, 1)
    await batch.send_unless_more(waiting)
    assert (batch.held, producer.sent) == (1, [])

    handle(batch, outputs, table, 2)  # the batch is full: sent, however many wait behind it
    await batch.send_unless_more(waiting)
    assert (batch.held, len(producer.sent)) == (0, 2)

    waiting.get_nowait()
    handle(batch, outputs, table, 3)  # nothing buffered, nothing arriving: sent at once
    await batch.send_unless_more(waiting)
    assert (batch.held, [key for _, key, _ in producer.sent]) == (0, [b"site-1", b"site-2", b"site-3"])


async def test_an_event_handed_over_within_a_few_turns_joins_the_batch() -> None:
    batch, outputs, _, table, producer, _ = batch_of(64)
    waiting: asyncio.Queue[int] = asyncio.Queue()

    async def deliver_after_two_turns() -> None:
        for _ in range(2):
            await asyncio.sleep(0)
        waiting.put_nowait(2)

    delivery = asyncio.create_task(deliver_after_two_turns())
    handle(batch, outputs, table, 1)
    await batch.send_unless_more(waiting)
    await delivery
    assert (batch.held, producer.sent) == (1, [])
