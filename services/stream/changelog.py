"""Table changes reach their changelog only once the outputs of the event that made them are on Kafka."""

# Faust writes a table's changelog as soon as a key is set. After a crash the recovered tables then know
# events whose outputs never reached Kafka: reprocessed from the last committed offset, such an event is a
# duplicate or late for its (site, pair) or article, and its rows, deltas, articles and alerts are lost
# for good. So every change is held, in write order, until the outputs of its event are acknowledged;
# a crash before that recovers the state from before the event, and reprocessing emits the same outputs
# again (byte-identical, since outputs are a function of input and state). Held changes are released
# after each event when ready, and all of them before Faust commits offsets (the producer's flush).

import asyncio
from collections import deque
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import faust
from faust.serializers import codecs


@dataclass
class _Event:
    """One processed event: its table changes, and the outputs they wait for once handed to the producer."""

    changes: list[tuple[Any, int | None, Any, Any]]  # (table, partition, key, value) in write order
    outputs: "asyncio.Future[Sequence[Awaitable[Any]]]" = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class DeferredChangelog:
    """The held changes of every table made with `table()`, in one queue shared by all agents."""

    def __init__(self) -> None:
        self._current: list[tuple[Any, int | None, Any, Any]] = []
        self._held: deque[_Event] = deque()
        self._releasing = asyncio.Lock()

    def table(self, app: faust.App, name: str, **options: Any) -> Any:
        """A Faust table (as app.Table makes it) whose changelog writes wait in this queue."""
        created = _HeldTable(app, name=name, beacon=app.tables.beacon, **options)
        created.held = self
        return app.tables.add(created)

    def hold(self, table: Any, partition: int | None, key: Any, value: Any) -> None:
        self._current.append((table, partition, key, value))

    def seal(self) -> "asyncio.Future[Sequence[Awaitable[Any]]]":
        """The event in hand is processed: queue its changes (in write order, before any await) and
        return the future to complete with its outputs' acknowledgements once they are sent."""
        event = _Event(self._current)
        self._current = []
        self._held.append(event)
        return event.outputs

    async def release_ready(self) -> None:
        """Write the changes of the oldest events whose outputs are all acknowledged, without waiting."""
        async with self._releasing:
            while self._held and _acknowledged(self._held[0]):
                await self._write(self._held.popleft())

    async def release_all(self) -> None:
        """Wait for every held event's outputs, then write its changes; raises if an output failed."""
        async with self._releasing:
            while self._held:
                event = self._held[0]
                await asyncio.gather(*await event.outputs)
                await self._write(self._held.popleft())

    @property
    def held(self) -> int:
        return len(self._held)

    async def _write(self, event: _Event) -> None:
        for table, partition, key, value in event.changes:
            # straight to the app's producer, as the outputs go (services/stream/outputs.py): a Faust
            # topic's send costs more than the record; the bytes are what it would have written
            sent = await table.app.producer.send(
                table.changelog_topic.get_topic_name(),
                codecs.dumps(table.key_serializer, key),
                None if value is None else codecs.dumps(table.value_serializer, value),  # None: a tombstone
                partition,
                None,
                None,
            )
            sent.add_done_callback(partial(_on_sent, table))


def _on_sent(table: Any, sent: "asyncio.Future[Any]") -> None:
    """RocksDB remembers the changelog offsets it already holds (Faust's own changelog callback)."""
    if not sent.cancelled() and sent.exception() is None:
        table._on_changelog_sent(sent)


def _acknowledged(event: _Event) -> bool:
    """Every output delivered; a failed one keeps the event (and all after it) held for release_all."""
    if not event.outputs.done() or event.outputs.exception() is not None:
        return False
    return all(_done_ok(output) for output in event.outputs.result())


def _done_ok(output: Awaitable[Any]) -> bool:
    return isinstance(output, asyncio.Future) and output.done() and output.exception() is None


class _HeldTable(faust.Table[Any, Any]):
    """faust.Table with its changelog writes held by a DeferredChangelog instead of sent at once."""

    held: DeferredChangelog

    def on_key_set(self, key: Any, value: Any) -> None:
        # the partition comes from the event being processed, so it is taken now, not at release time
        self.held.hold(self, self.partition_for_key(key), key, value)
        self._sensor_on_set(self, key, value)

    def on_key_del(self, key: Any) -> None:
        # a deletion is a tombstone (a None value) held in the same queue, so it keeps its place in order
        self.held.hold(self, self.partition_for_key(key), key, None)
        self._sensor_on_del(self, key)
