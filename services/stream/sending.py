"""Hands an agent's outputs to Kafka a batch of events at a time, without holding any event back to wait.

Under a backlog the snapshot agent handles the events waiting in its stream's buffer one after the other
(each synchronously, as before) and hands their outputs to the producer together, once no further event
arrives within a few turns of the event loop or `max_events` are held; an event that arrives alone is sent
at once. Kafka's producer batches (one compression and one request entry per topic partition) then carry
the outputs of many snapshots instead of one or two: a quarter to a third less CPU per snapshot in the
paired runs of docs/performance.md ("Send batches").

The crash guarantee (docs/reliability.md) is the one of single events: an event is acknowledged to Faust
once handled, but Faust commits an acknowledged offset only after a producer flush, and every flush first
hands over what a batch holds (`send`, awaited by `flush_all` before the table changelog is released); each
event keeps its own sealed place in the changelog's queue, so its table changes still wait for its
outputs. A batch never waits for an event that may not come: the agent sends when none arrives within those
turns, and a flush sends whatever is held whatever the agent is doing.
"""

import asyncio
from collections.abc import Awaitable, Sequence
from typing import Any

from services.stream.changelog import DeferredChangelog
from services.stream.outputs import Outputs, Producer

#: event loop turns an agent waits for the next buffered event before it sends what it holds: Faust's
#: conductor takes several per record (with one turn, batches stayed at one event under a backlog; with
#: eight, they held 10 to 64)
_TURNS_FOR_NEXT_EVENT = 8


class SendBatch:
    """The sealed events of one agent whose outputs are queued in `outputs` and not yet handed over."""

    def __init__(
        self, producer: Producer, outputs: Outputs, changelog: DeferredChangelog, *, max_events: int
    ) -> None:
        if max_events < 1:
            raise ValueError(f"a send batch must hold at least one event, not {max_events}")
        self.max_events = max_events
        self._producer = producer
        self._outputs = outputs
        self._changelog = changelog
        # per held event: its place in the changelog queue, and how many outputs were queued once it was done
        self._sealed: list[tuple[asyncio.Future[Sequence[Awaitable[Any]]], int]] = []
        self._sending = asyncio.Lock()  # batches reach the producer whole and in the order they were made

    def handled(self) -> None:
        """The event in hand is processed: its table changes take their place in the changelog queue (before
        any await), its outputs wait in the queue for `send`."""
        self._sealed.append((self._changelog.seal(), self._outputs.held))

    @property
    def held(self) -> int:
        return len(self._sealed)

    @property
    def full(self) -> bool:
        return len(self._sealed) >= self.max_events

    async def send(self) -> None:
        """Hand every held event's outputs to the producer, in order; each event's changelog place learns
        the acknowledgements it waits for. Raises if the producer refuses one (the events stay unwritten in
        the changelog, so release_all raises too and no offset is committed past them)."""
        async with self._sending:
            sealed, self._sealed = self._sealed, []
            queued = self._outputs.take()  # with the events, in the same step: no await between the two
            if not sealed:
                return
            try:
                acknowledgements = await self._outputs.send(self._producer, queued)
            except BaseException as exc:
                failed = exc if isinstance(exc, Exception) else RuntimeError("outputs not sent")
                for event, _ in sealed:
                    event.set_exception(failed)
                    event.exception()  # reported by this raise (and release_all's), not as never retrieved
                raise
            start = 0
            for event, end in sealed:
                event.set_result(acknowledgements[start:end])  # its own outputs' acknowledgements
                start = end

    async def send_unless_more(self, waiting: "asyncio.Queue[Any]") -> None:
        """After an event: send the batch, unless it has room and another event is about to be handed over.

        Faust's conductor hands the stream one fetched record every few turns of the event loop (it waits
        on each delivery), so the buffer looks empty right after an event even under a backlog; a few turns
        tell a backlog from a lone event, which is then sent within a fraction of a millisecond.
        """
        turns = 0
        while not self.full and waiting.empty() and turns < _TURNS_FOR_NEXT_EVENT:
            await asyncio.sleep(0)
            turns += 1
        if self.full or waiting.empty():
            await self.send_and_release()

    async def send_and_release(self) -> None:
        """What the agent awaits after a batch: the outputs handed over, then the changelog of the oldest
        acknowledged events written once enough are held (DeferredChangelog.release_ready)."""
        await self.send()
        await self._changelog.release_ready()
