"""A table change reaches its changelog only once its event's outputs are on Kafka, and the local store
only once its changelog record is: recovered state is never ahead of what was published."""

# Why (docs/reliability.md, "The worker's state"): a table that knows an event whose outputs never reached
# Kafka makes that event, processed again after a crash, a duplicate or late for its (site, pair) or
# article, and its rows, deltas, articles and alerts are lost for good. Faust writes a change to the local
# store (RocksDB: a file that outlives the process) and to the changelog as soon as a key is set. Here one
# change goes, in write order:
#   1. into the table's pending overlay, which every read of this process sees at once, and into the queue;
#   2. once every output of its event is acknowledged: to the changelog topic;
#   3. once that changelog record is acknowledged: into the local store, applied as Faust's recovery
#      applies changelog records (with its offset: RocksDB's persisted offset), and out of the overlay.
# So at every instant the local store is a prefix of the changelog, and the changelog a prefix of the
# events whose outputs were published. A SIGKILL at any point leaves a local store that recovery completes
# from the changelog (Kafka Streams' and Quix Streams' order: changelog first, local store after), and the
# events after the last committed offset, processed again, repeat their outputs byte for byte. Faust
# commits offsets right after it flushes the producer; `release_all` runs first in that flush and returns
# only once every held change is on the changelog, acknowledged.
#
# Changes are written a batch of events at a time (at each commit, or once `batch_events` events are held),
# one record per changed key: its last value in the batch (Kafka Streams' record cache does the same).
# A site's snapshots set the same keys on every page (each pair's small record, the site entry), so a
# batch of a few hundred snapshots of a dozen sites writes a few dozen ticker records instead of five per
# snapshot. A crash half way through a batch's records leaves each key at its value before the batch or
# after it, never ahead of the published outputs. Two orders inside a batch keep a ticker state readable
# from any prefix (services/domain/ticker/records.py): records go out in the order of their last change
# (a pair's chunks before its small record, as its last event wrote them), and deletions after every write.

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, cast

import faust
from faust.serializers import codecs
from faust.types import TP


@dataclass(frozen=True)
class Change:
    """One key set (or deleted: value None) while processing an event, on the event's partition."""

    table: "HeldTable"
    partition: int
    key: Any
    value: Any


@dataclass
class _Event:
    """One processed event: its table changes, and the outputs they wait for once handed to the producer."""

    changes: list[Change]
    outputs: "asyncio.Future[Sequence[Awaitable[Any]]]" = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class DeferredChangelog:
    """The held changes of every table made with `table()`, in one queue shared by all agents."""

    def __init__(self, *, batch_events: int = 1) -> None:
        if batch_events < 1:
            raise ValueError(f"a changelog batch must hold at least one event, not {batch_events}")
        #: events held before their changes are written without waiting for a commit
        self.batch_events = batch_events
        self._current: list[Change] = []
        self._held: deque[_Event] = deque()
        self._releasing = asyncio.Lock()
        self._unacknowledged: set[asyncio.Future[Any]] = set()
        self._acked: list[tuple[Change, ChangelogRecord]] = []  # acknowledged, not yet in the local store
        self._failed: BaseException | None = None
        #: changelog records read since start (recovery, and standbys): what recovery reports
        self.records_read = 0

    def table(self, app: faust.App, name: str, **options: Any) -> "HeldTable":
        """A Faust table (as app.Table makes it) read and written through this queue."""
        # Faust internal: tests/contract/test_faust_internals.py (a table made and registered by hand)
        created = _ChangelogTable(app, name=name, beacon=app.tables.beacon, **options)
        created.read_by = self
        app.tables.add(created)
        return HeldTable(created, self)

    def hold(self, table: "HeldTable", partition: int, key: Any, value: Any) -> Change:
        change = Change(table, partition, key, value)
        self._current.append(change)
        return change

    def seal(self) -> "asyncio.Future[Sequence[Awaitable[Any]]]":
        """The event in hand is processed: queue its changes (in write order, before any await) and
        return the future to complete with its outputs' acknowledgements once they are sent."""
        event = _Event(self._current)
        self._current = []
        self._held.append(event)
        return event.outputs

    async def release_ready(self) -> None:
        """Once `batch_events` events are held: send the changes of the oldest events whose outputs are all
        acknowledged, one record per key, without waiting for the changelog."""
        if len(self._held) < self.batch_events:
            return
        async with self._releasing:
            ready: list[_Event] = []
            while self._held and _acknowledged(self._held[0]):
                ready.append(self._held.popleft())
            await self._write(ready)

    async def release_all(self, send_held: Callable[[], Awaitable[None]] | None = None) -> None:
        """Wait for every held event's outputs, send their changes (one record per key), and wait until the
        changelog has them; raises if an output or a changelog record failed (so no offset is committed
        past its event, and the events stay held). `send_held` hands over outputs an agent holds back
        (services/stream/sending.py): awaited before waiting for an event whose outputs are not sent."""
        async with self._releasing:
            while self._held:  # the agents go on while this awaits: what they add is released too
                index = 0
                while index < len(self._held):
                    outputs = self._held[index].outputs
                    if not outputs.done() and send_held is not None:
                        await send_held()
                    await asyncio.gather(*await outputs)
                    index += 1
                await self._write([self._held.popleft() for _ in range(index)])
            if self._unacknowledged:
                # _on_sent was added to each before wait's own callback, so it has run when this returns
                await asyncio.wait(list(self._unacknowledged))
            self._apply_acked()  # the local store up to date before Faust commits (or a revocation)
            if self._failed is not None:
                raise RuntimeError("a table change did not reach its changelog") from self._failed

    @property
    def held(self) -> int:
        return len(self._held)

    async def _write(self, events: list[_Event]) -> None:
        for change in coalesce(events):
            record = change.table.encode(change)
            sent = await change.table.send(record)
            self._unacknowledged.add(sent)
            sent.add_done_callback(partial(self._on_sent, change, record))

    def _on_sent(self, change: Change, record: "ChangelogRecord", sent: "asyncio.Future[Any]") -> None:
        self._unacknowledged.discard(sent)
        if sent.cancelled():
            self._failed = self._failed or asyncio.CancelledError()
        elif sent.exception() is not None:
            self._failed = self._failed or sent.exception()
        else:
            # acknowledgements arrive a producer batch at a time: applied together on the next turn of the
            # loop, one store write batch per table (and one persisted offset per partition), not one each
            record.message.offset = sent.result().offset
            if not self._acked:
                asyncio.get_running_loop().call_soon(self._apply_acked)
            self._acked.append((change, record))

    def _apply_acked(self) -> None:
        acked, self._acked = self._acked, []
        by_table: dict[HeldTable, list[tuple[Change, ChangelogRecord]]] = {}
        for change, record in acked:
            by_table.setdefault(change.table, []).append((change, record))
        for table, records in by_table.items():
            table.acknowledged(records)


def coalesce(events: Sequence[_Event]) -> list[Change]:
    """The changes the changelog needs for these events, in order: each key's last change only, placed
    where that change was made, and every deletion after every write."""
    last: dict[tuple[HeldTable, Any], Change] = {}
    for event in events:
        for change in event.changes:
            where = (change.table, change.key)
            last.pop(where, None)  # re-inserted: a dict keeps the order of its last change
            last[where] = change
    writes = [change for change in last.values() if change.value is not None]
    return writes + [change for change in last.values() if change.value is None]


def _acknowledged(event: _Event) -> bool:
    """Every output delivered; a failed one keeps the event (and all after it) held for release_all."""
    if not event.outputs.done() or event.outputs.exception() is not None:
        return False
    return all(_done_ok(output) for output in event.outputs.result())


def _done_ok(output: Awaitable[Any]) -> bool:
    return isinstance(output, asyncio.Future) and output.done() and output.exception() is None


class HeldTable:
    """A Faust table as the stages use it (get, set, delete, items), seen through its pending changes."""

    def __init__(self, table: "_ChangelogTable", queue: DeferredChangelog) -> None:
        self.table = table
        self._queue = queue
        self._pending: dict[Any, Change] = {}  # key -> its latest change not yet in the local store

    def get(self, key: Any) -> Any:
        change = self._pending.get(key)
        if change is not None:
            return change.value
        return self.table.get(key)

    def __contains__(self, key: Any) -> bool:
        return self.get(key) is not None

    def __setitem__(self, key: Any, value: Any) -> None:
        self._change(key, value)

    def __delitem__(self, key: Any) -> None:
        self._change(key, None)  # a tombstone, held in the same queue so it keeps its place in order

    def items(self) -> Iterator[tuple[Any, Any]]:
        """The local store's items of this worker's partitions, with the pending changes over them."""
        pending = dict(self._pending)
        for key, value in list(self.table.items()):
            change = pending.pop(key, None)
            if change is None:
                yield key, value
            elif change.value is not None:
                yield key, change.value
        yield from ((key, change.value) for key, change in pending.items() if change.value is not None)

    @property
    def pending(self) -> int:
        return len(self._pending)

    def _change(self, key: Any, value: Any) -> None:
        # the partition of the event being processed, taken now rather than when the change is released
        partition = self.table.partition_for_key(key)  # Faust internal, see test_faust_internals
        if partition is None:  # only a table with use_partitioner, which these never are
            raise TypeError(f"table {self.table.name} has no partition for {key!r}")
        self._pending[key] = self._queue.hold(self, partition, key, value)

    def encode(self, change: Change) -> "ChangelogRecord":
        """The change as its changelog record: the bytes and partition Faust itself would write."""
        table = self.table
        key = codecs.dumps(table.key_serializer, change.key)
        value = None if change.value is None else codecs.dumps(table.value_serializer, change.value)
        tp = TP(table.changelog_topic.get_topic_name(), change.partition)
        message = ChangelogMessage(tp, change.partition, -1, key, value)  # its offset once acknowledged
        return ChangelogRecord(change.key, change.value, message)

    async def send(self, record: "ChangelogRecord") -> "asyncio.Future[Any]":
        """The record on the changelog, through the app's producer (as the outputs go: a Faust topic's send
        costs more than the record); a None value goes out as a tombstone."""
        message = record.message
        # Faust internal: tests/contract/test_faust_internals.py (send takes its arguments positionally)
        sent = await self.table.app.producer.send(
            message.tp.topic, message.key, message.value, message.partition, None, None
        )
        return cast("asyncio.Future[Any]", sent)

    def acknowledged(self, records: "list[tuple[Change, ChangelogRecord]]") -> None:
        """The changelog holds these changes (each record with its offset): apply them to the local store as
        recovery would (RocksDB also records the offsets), but those of a partition that moved away
        meanwhile; the recovery of its next owner reads them from the changelog."""
        table = self.table
        actives = table.app.assignor.assigned_actives()  # Faust internal, see test_faust_internals
        # the fields of faust.Event that stores read, nothing more (tests/unit/test_stream_changelog.py)
        batch: list[Any] = [record for _, record in records if record.message.tp in actives]
        if batch:
            # Faust internal: tests/contract/test_faust_internals.py (the store API recovery uses)
            table.data.apply_changelog_batch(batch, to_key=table._to_key, to_value=table._to_value)
        for change, _ in records:
            if self._pending.get(change.key) is change:
                del self._pending[change.key]


@dataclass
class ChangelogMessage:
    """The fields of a Kafka message that Faust's stores read in apply_changelog_batch; its offset is
    set once the changelog acknowledges the record."""

    tp: TP
    partition: int
    offset: int
    key: bytes
    value: bytes | None


@dataclass(frozen=True)
class ChangelogRecord:
    """A changelog record as Faust's recovery hands it to a store: decoded key and value, raw message."""

    key: Any
    value: Any
    message: ChangelogMessage


class _ChangelogTable(faust.Table[Any, Any]):
    """faust.Table that counts the changelog records recovery reads; written only through HeldTable."""

    read_by: DeferredChangelog

    async def on_changelog_event(self, event: Any) -> None:  # Faust internal, see test_faust_internals
        self.read_by.records_read += 1
        await super().on_changelog_event(event)
