"""Scale-out: the drain rate of 1, 2 and 3 `pagewire worker` processes in one group, and a takeover.

Each size gets a fresh topic prefix: its workers start first and settle their assignment (each ready,
the 6 partitions of snapshots.raw owned between them), then a backlog of seed-like snapshots of many sites
is preloaded and drained. The rate is the slope of snapshots.parsed over the steady window, as in the
single-worker part (bench/saturation.py); CPU is summed over the group's processes.

Workers keep their tables in RocksDB, as in production. 2 workers run twice: with a standby copy of each
partition's tables (PAGEWIRE_WORKER_STANDBYS=1, the default) and without (0), which shows what standbys
cost while draining and save in a takeover.

The takeover: once 2 workers drained their backlog, one is SIGKILLed. Kafka gives up on it after the
session timeout (set here to TAKEOVER_SESSION_S), the survivor is assigned its partitions, recovers their
tables (from its standby copy and the changelog's tail, or the whole changelog without one) and processes
a probe snapshot sent to a partition the victim owned. Reported: kill to probe processed, and the
survivor's own recovery seconds and changelog records for that rebalance (its `state recovered` line).
"""

import asyncio
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
from aiokafka.partitioner import murmur2

from bench.corpus import PARTITIONS, Corpus
from bench.kafka_env import Offsets, Part, fresh_part, preload
from bench.saturation import records, window
from bench.worker_proc import Process

WORKERS = (1, 2, 3)
#: (workers, standbys) of each run; the 2-worker runs end with a takeover
RUNS = ((1, 1), (2, 1), (2, 0), (3, 1))
TAKEOVER_SESSION_S = 10
SAMPLE = 0.25


@asynccontextmanager
async def group(part: Part, size: int, standbys: int) -> AsyncIterator[list[Process]]:
    """`size` workers of one group on RocksDB, each with its own state folder, started together, all ready."""
    async with AsyncExitStack() as stack:
        workers = []
        for _ in range(size):
            state = stack.enter_context(tempfile.TemporaryDirectory(prefix="pwbench-state-"))
            env = {
                **part.env,
                "PAGEWIRE_WORKER_STORE": "rocksdb",
                "PAGEWIRE_WORKER_STANDBYS": str(standbys),
                "PAGEWIRE_STATE_DIR": state,
                "BROKER_SESSION_TIMEOUT": str(TAKEOVER_SESSION_S),
            }
            workers.append(Process(["worker"], env, "PAGEWIRE_OBSERVE_WORKER_PORT"))
        await asyncio.gather(*(worker.start() for worker in workers))
        try:
            await settled(workers)
            yield workers
        finally:
            for worker in workers:
                if worker.process is not None and worker.process.returncode is None:
                    await worker.stop()
                worker.remove_log()


async def settled(workers: list[Process], timeout: float = 120.0) -> None:
    """Until the group's last rebalance is over: each worker's latest recovery names its partitions, and
    together they own all 6."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        owned = [recovered_partitions(worker.log) for worker in workers]
        if all(found is not None for found in owned) and sorted(
            p for found in owned for p in found or []
        ) == list(range(PARTITIONS)):
            return
        await asyncio.sleep(0.5)
    raise RuntimeError("the worker group did not settle its assignment")


def recovered_partitions(log: Path) -> list[int] | None:
    """The snapshots.raw partitions of the worker's last `state recovered` line (None before the first)."""
    last = last_recovery(log)
    return None if last is None else list(last.get("partitions", []))


def last_recovery(log: Path, after: int = 0) -> dict[str, Any] | None:
    found = None
    with log.open("rb") as lines:
        lines.seek(after)
        for line in lines:
            if b"state recovered" in line:
                found = orjson.loads(line)
    return found


async def drain(
    part: Part, workers: list[Process], corpus: Corpus, count: int, deadline: float
) -> dict[str, Any]:
    parsed = part.catalog.name("snapshots.parsed")
    await preload(part.settings, part.catalog.name("snapshots.raw"), records(corpus, count))
    samples: list[tuple[float, int, float]] = []
    stop_at = time.perf_counter() + deadline
    async with Offsets(part.settings) as offsets:
        while True:
            now = time.perf_counter()
            done = await offsets.end(parsed)
            samples.append((now, done, sum(worker.cpu_seconds() for worker in workers)))
            if done >= count or now > stop_at:
                break
            await asyncio.sleep(SAMPLE)
    measured = window(samples, count)
    # window() names it for one worker; here it is the whole group's
    measured["group_cpu_percent"] = measured.pop("worker_cpu_percent")
    measured["cpu_ms_per_snapshot"] = measured.pop("worker_cpu_ms_per_snapshot")
    return measured


async def takeover(part: Part, workers: list[Process], corpus: Corpus, start: int) -> dict[str, Any]:
    """SIGKILL the first worker; seconds until a probe to one of its partitions was processed."""
    victim, survivor = workers
    owned = recovered_partitions(victim.log) or []
    probe = next(
        message
        for index in range(start, start + 10_000)
        if partition_of((message := corpus.message(index)).key) in owned
    )
    parsed = part.catalog.name("snapshots.parsed")
    log_size = survivor.log.stat().st_size
    async with Offsets(part.settings) as offsets:
        before = await offsets.end(parsed)
        killed = time.perf_counter()
        await victim.kill()
        await preload(
            part.settings, part.catalog.name("snapshots.raw"), [(probe.key, probe.value, probe.headers)]
        )
        while await offsets.end(parsed) <= before:
            if time.perf_counter() - killed > 120:
                raise RuntimeError("the probe was not processed within 120 s of the kill")
            await asyncio.sleep(0.05)
        seconds = time.perf_counter() - killed
    recovery = last_recovery(survivor.log, log_size) or {}
    return {
        "session_timeout_s": TAKEOVER_SESSION_S,
        "victim_partitions": owned,
        "kill_to_probe_processed_s": round(seconds, 2),
        "survivor_recovery_s": recovery.get("seconds"),
        "survivor_changelog_records": recovery.get("changelog_records"),
    }


def partition_of(key: bytes) -> int:
    """The snapshots.raw partition of a key, as the producer's default partitioner picks it."""
    return (murmur2(key) & 0x7FFFFFFF) % PARTITIONS


async def run_scale(corpus: Corpus, count: int, deadline: float) -> dict[str, Any]:
    results: dict[str, Any] = {"backlog": count, "store": "rocksdb", "workers": {}, "takeover": {}}
    for size, standbys in RUNS:
        name = str(size) if standbys else f"{size}, no standbys"
        async with fresh_part(f"scale-{size}-{standbys}") as part, group(part, size, standbys) as workers:
            results["workers"][name] = {
                "standbys": standbys,
                **await drain(part, workers, corpus, count, deadline),
            }
            if size == 2:
                results["takeover"][f"standbys {standbys}"] = await takeover(part, workers, corpus, count)
    one = results["workers"]["1"]["rate_per_s"]
    for measured in results["workers"].values():
        measured["vs_one_worker"] = round(measured["rate_per_s"] / one, 2)
    return results
