"""One replay through a fresh pipeline, with faults injected on the way, and what came out of it."""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.common.kafka import message_counts, producer
from services.sinks.storage.tables import TABLES
from tests.reliability.compare import Difference, compare_chat, compare_tables, compare_topic
from tests.support.databases import Target, postgres_target, sqlite_target
from tests.support.pipeline import CHATS, Chat, Pipeline, pipeline
from tests.support.receiver import Received, receiver
from tests.support.replay import Record

# bursts of snapshots sent back to back, then a pause: faults land both while every stage is busy
# (the state and outputs of many events in flight) and while it is idle
BURST = 30
PAUSE = 1.5
Fault = Callable[[Pipeline], Awaitable[None]]


@dataclass(frozen=True)
class FaultPoint:
    """Inject `fault` (a process name: SIGKILL and restart it; or a name in `faults`) once `after`
    records were sent (or, with run_replay's `progress="parsed"`, the worker summarised that many
    snapshots on snapshots.parsed), `delay` seconds later."""

    after: int
    fault: str
    delay: float

    def describe(self) -> str:
        return f"{self.fault} after snapshot {self.after} (+{self.delay}s)"


@dataclass(frozen=True)
class RunResult:
    """Every topic's (key, value) records, every table of each database, and what the chat received."""

    topics: dict[str, list[tuple[bytes, bytes]]]
    tables: dict[str, dict[str, list[dict[str, Any]]]]
    chat: dict[str, list[Received]]
    prefix: str
    sent: list[tuple[int, int]] = field(default_factory=list)  # (partition, offset) of each record
    stored: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)  # as wire messages


@asynccontextmanager
async def databases(folder: Path, dialects: Sequence[str]) -> AsyncIterator[list[Target]]:
    async with AsyncExitStack() as stack:
        found = []
        for dialect in dialects:
            if dialect == "sqlite":
                found.append(sqlite_target(folder / "pagewire.db"))
            else:
                found.append(await stack.enter_async_context(postgres_target()))
        yield found


async def run_replay(
    env: dict[str, str],
    folder: Path,
    records: Sequence[Record],
    plan: Sequence[FaultPoint] = (),
    *,
    dialects: Sequence[str] = ("sqlite", "postgresql"),
    faults: Mapping[str, Fault] | None = None,
    chats: Mapping[str, Chat] = CHATS,
    inspect: Fault | None = None,
    store: str = "memory",
    burst: int = BURST,
    pause: float = PAUSE,
    progress: str = "sent",
    instances: Mapping[str, int] | None = None,
) -> RunResult:
    """One run on fresh topics and databases with the worker on `store`; the plan's faults happen while
    the records are sent (`burst` back to back, then `pause` seconds), each once `progress` (records
    "sent", or snapshots "parsed" by the worker) reaches its point; `inspect` looks at the settled
    pipeline before it stops."""
    await asyncio.to_thread(folder.mkdir, parents=True)
    async with (
        receiver() as chat,
        databases(folder, dialects) as targets,
        pipeline(env, folder, chat, targets, chats, store=store, instances=instances) as run,
    ):
        sent: list[tuple[int, int]] = []
        advanced = asyncio.Event()

        async def send_all() -> None:
            client = producer(run.settings.kafka)
            await client.start()
            try:
                for key, value in records:
                    meta = await client.send_and_wait(run.catalog.name("snapshots.raw"), value, key=key)
                    sent.append((meta.partition, meta.offset))
                    advanced.set()
                    if len(sent) % burst == 0:
                        await asyncio.sleep(pause)
            finally:
                await client.stop()

        parsed = run.catalog.name("snapshots.parsed")

        async def reached(point: FaultPoint) -> None:
            if progress == "parsed":
                while True:
                    if (await message_counts(run.settings.kafka, [parsed]))[parsed] >= point.after:
                        return
                    await asyncio.sleep(0.2)
            while len(sent) < point.after:
                advanced.clear()
                await advanced.wait()

        async def inject_all() -> None:
            for point in plan:
                await reached(point)
                await asyncio.sleep(point.delay)
                if faults and point.fault in faults:
                    await faults[point.fault](run)
                    run.kills.append((len(sent), point.fault))
                else:
                    await run.kill_and_restart(point.fault, len(sent))

        await asyncio.gather(send_all(), inject_all())
        await run.settle()
        await asyncio.sleep(1)  # room for a late re-send to reach the receiver
        if inspect is not None:
            await inspect(run)
        for name, process in run.processes().items():
            assert process.running, f"{name} is not running:\n{process.tail()}"
        assert [name for _, name in run.kills] == [point.fault for point in plan]
        return RunResult(
            await run.topics(),
            await run.tables(),
            {destination.path: chat.on(destination.path) for destination in chats.values()},
            run.env["PAGEWIRE_TOPIC_PREFIX"],
            sent,
            await run.stored(),
        )


def differences(reference: RunResult, faulted: RunResult, skip: Sequence[str] = ()) -> dict[str, Difference]:
    """Topics (but the input and `skip`), tables (of the faulted run's databases) and chat requests of a
    faulted run against a clean one."""
    found = {"topics": Difference(), "tables": Difference(), "chat": Difference()}
    for name, messages in reference.topics.items():
        if name == "snapshots.raw" or name in skip:
            continue  # the input, sent the same way both times
        prefixes = (reference.prefix, faulted.prefix)
        found["topics"].add(compare_topic(name, messages, faulted.topics[name], prefixes))
    # the dead letters a skipped deadletter topic holds are in the deadletters table too
    skipped = {"deadletters"} if "deadletter" in skip else set()
    keys = {table.name: table.key for table in TABLES if table.name not in skipped}
    prefixes = (reference.prefix, faulted.prefix)
    for dialect, tables in faulted.tables.items():  # a faulted run may use fewer databases
        found["tables"].add(compare_tables(keys, reference.tables[dialect], tables, prefixes))
    for path, requests in reference.chat.items():
        found["chat"].add(compare_chat(requests, faulted.chat[path], path))
    return found


def assert_same(found: Mapping[str, Difference], seed: int | None = None) -> None:
    for where, difference in found.items():
        for kind, names in (("lost", difference.lost), ("duplicated", difference.duplicated)):
            counts = Counter(name.split(": ", 1)[0] for name in names)
            assert names == [], f"{where}: {kind} (seed {seed}): {dict(counts)}; first: {names[:20]}"
