"""End-to-end latency at fixed offered rates: intended send time -> last output on deltas and articles.

A pacer subprocess offers snapshots open-loop (bench/pacer.py); this process reads every rates.deltas
and article topic and keeps, per snapshot_id, when its last message arrived. A snapshot's latency is
that arrival minus its intended send time t0 + i / rate, so a worker that falls behind shows it.
"""

import asyncio
import math
import sys
import time
from contextlib import suppress
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer

from bench.corpus import Corpus
from bench.kafka_env import Offsets, Part
from bench.saturation import running_worker
from bench.worker_proc import REPO

SETTLE = 1.5  # seconds to wait for stragglers once every snapshot of a phase has a summary
CATCH_UP = 30.0  # most seconds a phase may take to finish after its last send


class LastOutputs:
    """snapshot_id -> wall-clock arrival of its latest message on the watched topics."""

    def __init__(self, part: Part) -> None:
        catalog = part.catalog
        watched = {"pagewire.rate_delta/1", "pagewire.article/1"}
        self.topics = [catalog.prefix + spec.name for spec in catalog.topics if spec.value in watched]
        self.arrived: dict[str, float] = {}
        self.messages = 0
        self._consumer = AIOKafkaConsumer(
            *self.topics,
            bootstrap_servers=part.settings.kafka.bootstrap,
            group_id=None,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> "LastOutputs":
        await self._consumer.start()
        self._task = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with suppress(asyncio.CancelledError):
            await self._task
        await self._consumer.stop()

    async def _read(self) -> None:
        while True:
            batch = await self._consumer.getmany(timeout_ms=100)
            now = time.time()
            for records in batch.values():
                for record in records:
                    self.arrived[orjson.loads(record.value)["snapshot_id"]] = now
                    self.messages += 1


async def run_latency(
    part: Part, corpus: Corpus, max_rate: float, loads: tuple[int, ...], warm_up: float, measure: float
) -> dict[str, Any]:
    raw = part.catalog.name("snapshots.raw")
    parsed = part.catalog.name("snapshots.parsed")
    phases: dict[str, Any] = {}
    async with (
        running_worker(part) as worker,
        LastOutputs(part) as outputs,
        Offsets(part.settings) as offsets,
    ):
        start = 0
        for load in loads:
            rate = max_rate * load / 100
            count = max(1, round(rate * (warm_up + measure)))
            paced = await _pace(raw, start, count, rate, corpus.seed)
            caught_up = await _wait_for(offsets, parsed, start + count)
            await asyncio.sleep(SETTLE)
            phases[f"{load}%"] = {
                "offered_per_s": round(rate, 1),
                **_latencies(corpus, outputs, paced, start, count, rate, warm_up),
                "caught_up_seconds": caught_up,
                "pacer": paced,
            }
            start += count
        peak = worker.peak_rss_mb()
    return {"phases": phases, "peak_rss_mb": round(peak, 1)}


async def _pace(topic: str, start: int, count: int, rate: float, seed: int) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.pacer",
        f"--topic={topic}",
        f"--start={start}",
        f"--count={count}",
        f"--rate={rate}",
        f"--seed={seed}",
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"pacer exited with {process.returncode}")
    result: dict[str, Any] = orjson.loads(out.splitlines()[-1])
    return result


async def _wait_for(offsets: Offsets, topic: str, total: int) -> float | None:
    """Seconds until the worker has summarised `total` snapshots, or None when it did not within CATCH_UP."""
    started = time.perf_counter()
    while time.perf_counter() - started < CATCH_UP:
        if await offsets.end(topic) >= total:
            return round(time.perf_counter() - started, 2)
        await asyncio.sleep(0.1)
    return None


def _latencies(
    corpus: Corpus,
    outputs: LastOutputs,
    paced: dict[str, Any],
    start: int,
    count: int,
    rate: float,
    warm: float,
) -> dict[str, Any]:
    t0: float = paced["t0"]
    measured: list[float] = []
    missing = 0
    for position in range(count):
        intended = t0 + position / rate
        if intended < t0 + warm:
            continue  # warm-up: the worker's caches, batches and the producer's connections settle
        arrived = outputs.arrived.get(corpus.snapshot_id(start + position))
        if arrived is None:
            missing += 1
        else:
            measured.append(arrived - intended)
    measured.sort()
    return {
        "snapshots": len(measured),
        "without_output": missing,
        "p50_ms": _percentile_ms(measured, 0.50),
        "p99_ms": _percentile_ms(measured, 0.99),
        "p999_ms": _percentile_ms(measured, 0.999),
        "max_ms": _percentile_ms(measured, 1.0),
    }


def _percentile_ms(ordered: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile in milliseconds."""
    if not ordered:
        return None
    rank = min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))
    return round(1000 * ordered[rank], 2)
