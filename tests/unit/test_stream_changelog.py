"""The worker's held changes: a change reaches its changelog only after its event's outputs are acknowledged,
and the local store only after its changelog record is; reads see it at once all the same."""

import asyncio
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import faust
import pytest
from aiokafka.structs import RecordMetadata, TopicPartition
from faust.types import TP

from services.stream.changelog import ChangelogMessage, ChangelogRecord, DeferredChangelog, HeldTable

PARTITION = 3


class Producer:
    """The app's producer: records every send; acknowledges at once, or when told (`hold=True`)."""

    def __init__(self, *, hold: bool = False) -> None:
        self.hold = hold
        self.written: list[tuple[Any, Any, int | None]] = []
        self.raw_values: list[bytes | None] = []
        self.in_flight: list[tuple[asyncio.Future[Any], RecordMetadata]] = []

    async def send(
        self, topic: str, key: bytes, value: bytes | None, partition: int | None, *_: Any
    ) -> "asyncio.Future[Any]":
        self.written.append((json.loads(key), None if value is None else json.loads(value), partition))
        self.raw_values.append(value)
        sent: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        where = TopicPartition(topic, partition or 0)
        metadata = RecordMetadata(topic, where.partition, where, len(self.written) + 99, -1, -1, 0)
        if self.hold:
            self.in_flight.append((sent, metadata))
        else:
            sent.set_result(metadata)
        return sent

    def acknowledge(self, count: int = 1) -> None:
        for sent, metadata in self.in_flight[:count]:
            sent.set_result(metadata)
        del self.in_flight[:count]


class LocalStore:
    """A Faust store's apply_changelog_batch: what recovery would have written, with each offset."""

    def __init__(self) -> None:
        self.data: dict[Any, Any] = {}
        self.offsets: list[int] = []
        self.batches = 0

    def apply_changelog_batch(self, batch: list[Any], to_key: Any, to_value: Any) -> None:
        self.batches += 1
        for record in batch:
            if record.message.value is None:
                self.data.pop(to_key(record.key), None)
            else:
                self.data[to_key(record.key)] = to_value(record.value)
            self.offsets.append(record.message.offset)


class FaustTable:
    """The attributes of a Faust table that HeldTable uses; its partitions are all assigned unless revoked."""

    key_serializer = value_serializer = "json"
    name = "ticker"

    def __init__(self, producer: Producer) -> None:
        self.changelog_topic = SimpleNamespace(get_topic_name=lambda: "pw.worker-ticker-changelog")
        self.data = LocalStore()
        self.actives = {TP("pw.worker-ticker-changelog", PARTITION)}
        assignor = SimpleNamespace(assigned_actives=self._actives)
        self.app = SimpleNamespace(producer=producer, assignor=assignor)

    def _actives(self) -> set[TP]:
        return self.actives

    def get(self, key: Any) -> Any:
        return self.data.data.get(key)

    def items(self) -> list[tuple[Any, Any]]:
        return list(self.data.data.items())

    def partition_for_key(self, key: Any) -> int:
        return PARTITION

    def _to_key(self, key: Any) -> Any:
        return key

    def _to_value(self, value: Any) -> Any:
        return value


def held_table(
    *, hold: bool = False, batch_events: int = 1
) -> tuple[DeferredChangelog, HeldTable, Producer, FaustTable]:
    queue, producer = DeferredChangelog(batch_events=batch_events), Producer(hold=hold)
    faust_table = FaustTable(producer)
    return queue, HeldTable(faust_table, queue), producer, faust_table  # type: ignore[arg-type]


def event(queue: DeferredChangelog, table: HeldTable, *changes: tuple[str, Any]) -> "asyncio.Future[Any]":
    """One processed event that set `changes` (key, value; None deletes); its outputs future."""
    for key, value in changes:
        if value is None:
            del table[key]
        else:
            table[key] = value
    return queue.seal()


def acknowledged() -> "asyncio.Future[Any]":
    done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    done.set_result(None)
    return done


async def settled() -> None:
    # done callbacks run on the next turn of the loop, and apply what was acknowledged on the one after
    for _ in range(2):
        await asyncio.sleep(0)


async def test_changes_wait_for_their_outputs_and_keep_their_order() -> None:
    queue, table, producer, _ = held_table()
    first = event(queue, table, ("KGS", "a1"), ("TJS", "b1"))
    second = event(queue, table, ("KGS", "a2"))
    pending: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    second.set_result([acknowledged()])
    first.set_result([pending, acknowledged()])

    await queue.release_ready()
    assert producer.written == []  # the first event's output is still in flight
    assert queue.held == 2

    pending.set_result(None)
    await queue.release_ready()
    # both events released together: one record per key, its last value, in the order of its last change
    assert producer.written == [("TJS", "b1", 3), ("KGS", "a2", 3)]
    assert queue.held == 0


async def test_changes_are_held_until_a_batch_of_events_or_a_commit_and_written_once_per_key() -> None:
    queue, table, producer, faust_table = held_table(batch_events=3)
    event(queue, table, ("KGS", "a1"), ("TJS", "b1")).set_result([acknowledged()])
    event(queue, table, ("KGS", "a2")).set_result([acknowledged()])
    await queue.release_ready()
    assert producer.written == [] and queue.held == 2  # fewer than a batch: held
    assert table.get("KGS") == "a2"  # read at once all the same

    event(queue, table, ("KGS", "a3"), ("UZS", "c1")).set_result([acknowledged()])
    await queue.release_ready()
    assert producer.written == [("TJS", "b1", 3), ("KGS", "a3", 3), ("UZS", "c1", 3)]
    await settled()
    assert faust_table.data.data == {"KGS": "a3", "TJS": "b1", "UZS": "c1"}

    event(queue, table, ("TJS", "b2")).set_result([acknowledged()])
    event(queue, table, ("TJS", "b3")).set_result([acknowledged()])
    await queue.release_all()  # the commit: whatever is held, however few
    assert producer.written[3:] == [("TJS", "b3", 3)]
    assert faust_table.data.data["TJS"] == "b3" and queue.held == 0 and table.pending == 0


async def test_a_batch_writes_a_ticker_states_chunks_before_its_record_and_deletions_last() -> None:
    """Whatever prefix of a batch's records survives a crash must read back as a state
    (services/domain/ticker/records.py): a chunk before the record that counts it, a chunk deleted only
    after the record that no longer needs it."""
    queue, table, producer, _ = held_table(batch_events=2)
    event(queue, table, ("KGS#1", {"runs": 1}), ("KGS", "first=16"), ("KGS#0", None)).set_result(
        [acknowledged()]
    )
    event(queue, table, ("KGS#2", {"runs": 2}), ("KGS", "first=32"), ("KGS#1", None)).set_result(
        [acknowledged()]
    )
    await queue.release_ready()
    assert producer.written == [
        ("KGS#2", {"runs": 2}, 3),
        ("KGS", "first=32", 3),
        ("KGS#0", None, 3),
        ("KGS#1", None, 3),
    ]


def test_a_batch_of_no_events_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one event, not 0"):
        DeferredChangelog(batch_events=0)


async def test_reads_see_a_change_at_once_and_the_local_store_only_once_the_changelog_has_it() -> None:
    queue, table, producer, faust_table = held_table(hold=True)
    event(queue, table, ("KGS", "a1")).set_result([acknowledged()])
    assert table.get("KGS") == "a1" and "KGS" in table and dict(table.items()) == {"KGS": "a1"}
    assert faust_table.data.data == {}

    await queue.release_ready()
    assert producer.written == [("KGS", "a1", 3)]
    assert faust_table.data.data == {}  # sent, not yet acknowledged: a crash now recovers without it
    assert table.pending == 1

    producer.acknowledge()
    await settled()
    assert faust_table.data.data == {"KGS": "a1"} and faust_table.data.offsets == [100]
    assert table.pending == 0 and table.get("KGS") == "a1"


async def test_acknowledgements_arriving_together_reach_the_store_in_one_write() -> None:
    queue, table, producer, faust_table = held_table(hold=True)
    event(queue, table, ("KGS", "a1"), ("TJS", "b1"), ("UZS", "c1")).set_result([acknowledged()])
    await queue.release_ready()
    producer.acknowledge(3)  # one producer batch
    await settled()
    assert faust_table.data.data == {"KGS": "a1", "TJS": "b1", "UZS": "c1"}
    assert faust_table.data.batches == 1 and faust_table.data.offsets == [100, 101, 102]


async def test_an_older_acknowledgement_leaves_a_newer_change_of_the_key_pending() -> None:
    queue, table, producer, faust_table = held_table(hold=True)
    event(queue, table, ("KGS", "a1")).set_result([acknowledged()])
    await queue.release_ready()
    event(queue, table, ("KGS", "a2"))  # processed, its outputs not yet sent

    producer.acknowledge()
    await settled()
    assert faust_table.data.data == {"KGS": "a1"}
    assert table.get("KGS") == "a2" and table.pending == 1


async def test_release_all_waits_for_outputs_and_for_the_changelog_to_acknowledge() -> None:
    queue, table, producer, faust_table = held_table(hold=True)
    outputs = event(queue, table, ("KGS", "a1"))
    releasing = asyncio.create_task(queue.release_all())
    await asyncio.sleep(0.01)
    assert not releasing.done() and producer.written == []

    outputs.set_result([acknowledged()])
    await asyncio.sleep(0.01)
    assert producer.written == [("KGS", "a1", 3)]
    assert not releasing.done()  # Faust commits offsets after this returns: not before the changelog has it

    producer.acknowledge()
    await asyncio.wait_for(releasing, 1)
    assert faust_table.data.data == {"KGS": "a1"}


async def test_a_changelog_record_that_failed_fails_the_release() -> None:
    queue, table, producer, faust_table = held_table(hold=True)
    event(queue, table, ("KGS", "a1")).set_result([acknowledged()])
    await queue.release_ready()
    producer.in_flight[0][0].set_exception(ConnectionError("not enough replicas"))
    with pytest.raises(RuntimeError, match="did not reach its changelog"):
        await queue.release_all()
    assert faust_table.data.data == {}
    assert table.get("KGS") == "a1"  # this process still reads what its outputs said


async def test_a_failed_output_keeps_its_change_and_every_later_one_unwritten() -> None:
    queue, table, producer, faust_table = held_table()
    failed: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    failed.set_exception(ConnectionError("broker refused the article"))
    event(queue, table, ("article-1", "seen")).set_result([failed])
    event(queue, table, ("KGS", "a2")).set_result([acknowledged()])

    await queue.release_ready()
    with pytest.raises(ConnectionError, match="refused the article"):
        await queue.release_all()
    assert producer.written == [] and faust_table.data.data == {}
    assert queue.held == 2


async def test_outputs_that_could_not_be_sent_fail_the_release() -> None:
    queue, table, producer, _ = held_table()
    event(queue, table, ("KGS", "a1")).set_exception(RuntimeError("outputs not sent"))
    await queue.release_ready()
    with pytest.raises(RuntimeError, match="outputs not sent"):
        await queue.release_all()
    assert producer.written == []


async def test_a_deletion_is_held_in_order_and_written_as_a_tombstone() -> None:
    queue, table, producer, faust_table = held_table()
    event(queue, table, ("KGS#0", {"runs": []}), ("KGS", "a1"), ("KGS#0", None)).set_result([acknowledged()])
    assert "KGS#0" not in table and dict(table.items()) == {"KGS": "a1"}
    await queue.release_ready()
    assert producer.written == [("KGS", "a1", 3), ("KGS#0", None, 3)]  # the chunk's last change only
    # a None value goes out as Kafka's null (a tombstone), not as the JSON text null
    assert producer.raw_values == [b'"a1"', None]
    await settled()
    assert faust_table.data.data == {"KGS": "a1"} and faust_table.data.offsets == [100, 101]


async def test_a_change_acknowledged_after_its_partition_moved_away_stays_out_of_the_local_store() -> None:
    queue, table, producer, faust_table = held_table(hold=True)
    event(queue, table, ("KGS", "a1")).set_result([acknowledged()])
    await queue.release_ready()
    faust_table.actives = set()  # revoked: the next owner reads the record from the changelog
    producer.acknowledge()
    await settled()
    assert faust_table.data.data == {} and table.pending == 0


@pytest.mark.parametrize("store", ["rocksdb://", "memory://"])
def test_faust_stores_apply_a_held_record_as_recovery_would(store: str, tmp_path: Path) -> None:
    """The fields of faust.Event that HeldTable hands to apply_changelog_batch are all each store reads
    (faust-streaming's private API: a failure here after an upgrade means changelog.py must change)."""
    app = faust.App("changelog-test", store=store, datadir=str(tmp_path))
    table = app.Table("ticker", partitions=4)
    tp = TP(table.changelog_topic.get_topic_name(), 2)
    kgs, tjs = {"rate": "0.01144"}, {"rate": "0.1"}
    records = [
        ChangelogRecord("KGS", kgs, ChangelogMessage(tp, 2, 7, b'"KGS"', b'{"rate":"0.01144"}')),
        ChangelogRecord("TJS", tjs, ChangelogMessage(tp, 2, 8, b'"TJS"', b'{"rate":"0.1"}')),
        ChangelogRecord("TJS", None, ChangelogMessage(tp, 2, 9, b'"TJS"', None)),
    ]
    for record in records:
        table.data.apply_changelog_batch([record], to_key=table._to_key, to_value=table._to_value)

    if store == "rocksdb://":
        assert table.data.persisted_offset(tp) == 9
        db = table.data._db_for_partition(2)
        assert db.get(b'"KGS"') == b'{"rate":"0.01144"}' and db.get(b'"TJS"') is None
    else:
        assert table.data.data == {"KGS": {"rate": "0.01144"}}
