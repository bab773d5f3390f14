"""The production store's cost and recovery: a RocksDB worker drains a backlog (its rate beside the memory
worker's, same run), then starts again after a clean stop, after a SIGKILL mid-drain, with its files lost
(a rebuild from the whole changelog), and a memory worker starts on the same changelog. Each start's
seconds and changelog records come from the worker's own "state recovered" log line.
"""

import asyncio
import shutil
import tempfile
from pathlib import Path
from typing import Any

import orjson

from bench.corpus import Corpus
from bench.kafka_env import Offsets, Part, preload
from bench.saturation import records, sample, window
from bench.worker_proc import Process

KILL_AFTER = 0.5  # of the second backlog processed when the worker is SIGKILLed


async def run_recovery(part: Part, corpus: Corpus, count: int, deadline: float) -> dict[str, Any]:
    raw = part.catalog.name("snapshots.raw")
    parsed = part.catalog.name("snapshots.parsed")
    with tempfile.TemporaryDirectory(prefix="pwbench-rocksdb-") as state_dir:
        env = {**part.env, "PAGEWIRE_WORKER_STORE": "rocksdb", "PAGEWIRE_STATE_DIR": state_dir}
        await preload(part.settings, raw, records(corpus, count))
        worker = _worker(env)
        await worker.start()
        async with Offsets(part.settings) as offsets:
            drain = window(await sample(offsets, worker, parsed, count, deadline), count)
            results: dict[str, Any] = {"rocksdb_drain": drain, "backlog": count}
            await _stop(worker)
            results["after_clean_stop"] = await _start_and_read(env)

            # a second backlog, SIGKILLed half way through: the crash the write-behind layer is for
            second = max(1, count // 4)
            await preload(part.settings, raw, records(corpus, second, start=count))
            worker = _worker(env)
            await worker.start()
            await _until(offsets, parsed, count + int(KILL_AFTER * second))
            await worker.kill()
            results["after_sigkill"] = await _start_and_read(env, wait_for=(offsets, parsed, count + second))

            await asyncio.to_thread(shutil.rmtree, Path(state_dir))
            results["files_lost"] = await _start_and_read(env)
        results["memory_start"] = await _start_and_read({**env, "PAGEWIRE_WORKER_STORE": "memory"})
    rebuilt = results["files_lost"]
    rebuilt["records_per_s"] = round(rebuilt["changelog_records"] / max(rebuilt["seconds"], 1e-3))
    return results


def _worker(env: dict[str, str]) -> Process:
    return Process(["worker"], env, "PAGEWIRE_OBSERVE_WORKER_PORT")


async def _start_and_read(
    env: dict[str, str], wait_for: tuple[Offsets, str, int] | None = None
) -> dict[str, Any]:
    """Start a worker until ready (and, with `wait_for`, until that topic holds so many messages), stop it,
    and return its first recovery line: how it found its tables, seconds, changelog records read."""
    worker = _worker(env)
    await worker.start()
    if wait_for is not None:
        await _until(*wait_for)
    await _stop(worker)
    for line in worker.log.read_bytes().splitlines():
        if b'"state recovered' in line:
            found = orjson.loads(line)
            worker.remove_log()
            return {key: found[key] for key in ("how", "seconds", "changelog_records")}
    raise RuntimeError(f"the worker logged no recovery:\n{worker.tail()}")


async def _until(offsets: Offsets, topic: str, count: int) -> None:
    """Return once `topic` holds `count` messages."""
    while True:
        if await offsets.end(topic) >= count:
            return
        await asyncio.sleep(0.05)


async def _stop(worker: Process) -> None:
    code = await worker.stop()
    if code != 0:
        raise RuntimeError(f"the worker exited with {code}:\n{worker.tail()}")
