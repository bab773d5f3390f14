"""The worker's highest sustained rate: a backlog of seed-like snapshots drained by a real `pagewire worker`.

The rate is the slope of snapshots.parsed (one summary per snapshot processed) over a steady window:
from a few seconds after the first output until 95% of the backlog is done, so start-up and the tail
are left out. Output counts per snapshot show the work was real (deltas, articles, label topics).
"""

import asyncio
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from bench.corpus import Corpus
from bench.kafka_env import Offsets, Part, preload
from bench.worker_proc import Process, running

WARM_UP = 3.0  # seconds after the first output before the window opens
SAMPLE = 0.25
COUNTED = ("ticker.rows", "rates.deltas", "articles", "alerts", "deadletter")


@asynccontextmanager
async def running_worker(part: Part) -> AsyncIterator[Process]:
    """A ready `pagewire worker` of `part` (the memory store unless the part's environment names one; its
    own state directory), stopped afterwards."""
    with tempfile.TemporaryDirectory(prefix="pwbench-state-") as state_dir:
        env = {"PAGEWIRE_WORKER_STORE": "memory", **part.env, "PAGEWIRE_STATE_DIR": state_dir}
        async with running(Process(["worker"], env, "PAGEWIRE_OBSERVE_WORKER_PORT")) as worker:
            yield worker


async def run_saturation(part: Part, corpus: Corpus, count: int, deadline: float) -> dict[str, Any]:
    raw = part.catalog.name("snapshots.raw")
    parsed = part.catalog.name("snapshots.parsed")
    await preload(part.settings, raw, records(corpus, count))
    async with running_worker(part) as worker, Offsets(part.settings) as offsets:
        samples = await sample(offsets, worker, parsed, count, deadline)
        outputs = {name: await offsets.end(part.catalog.name(name)) for name in COUNTED}
        peak = worker.peak_rss_mb()
    async with Offsets(part.settings) as offsets:  # the worker stopped: everything it held is written
        produced = await records_produced(offsets, part)
    return {**window(samples, count), "outputs": outputs, "produced": produced, "peak_rss_mb": round(peak, 1)}


async def records_produced(offsets: Offsets, part: Part) -> dict[str, Any]:
    """Records the worker wrote per snapshot it processed: outputs (every catalog topic it writes, label
    topics included) and table changelog records, counted from end offsets once it has stopped."""
    processed = await offsets.end(part.catalog.name("snapshots.parsed"))
    raw = part.catalog.name("snapshots.raw")
    output_topics = [part.catalog.name(name) for name in part.catalog.written_by("worker")]
    outputs = await offsets.end(*(topic for topic in output_topics if topic != raw))
    changelogs = [topic for topic in await offsets.prefixed(part.prefix) if topic.endswith("-changelog")]
    changelog = await offsets.end(*changelogs)
    per = max(1, processed)
    return {
        "snapshots": processed,
        "outputs_per_snapshot": round(outputs / per, 2),
        "changelog_per_snapshot": round(changelog / per, 2),
        "records_per_snapshot": round((outputs + changelog) / per, 2),
    }


def records(corpus: Corpus, count: int, start: int = 0) -> Any:
    """The corpus's snapshots `start` to `start + count` as (key, value, headers) for preload."""
    for index in range(start, start + count):
        message = corpus.message(index)
        yield message.key, message.value, message.headers


async def sample(
    offsets: Offsets, worker: Process, topic: str, count: int, deadline: float
) -> list[tuple[float, int, float]]:
    """(time, snapshots processed, worker CPU seconds) every SAMPLE seconds until done or `deadline` s."""
    samples: list[tuple[float, int, float]] = []
    stop_at = time.perf_counter() + deadline
    while True:
        now = time.perf_counter()
        done = await offsets.end(topic)
        samples.append((now, done, worker.cpu_seconds()))
        if done >= count or now > stop_at:
            return samples
        await asyncio.sleep(SAMPLE)


def window(samples: list[tuple[float, int, float]], count: int) -> dict[str, Any]:
    first = next((t for t, done, _ in samples if done > 0), None)
    if first is None:
        raise RuntimeError("the worker processed nothing")
    inside = [s for s in samples if s[0] >= first + WARM_UP and s[1] <= 0.95 * count]
    if len(inside) < 2:
        inside = [s for s in samples if s[1] > 0]  # a very fast drain: the whole run is the window
    (t_a, n_a, cpu_a), (t_b, n_b, cpu_b) = inside[0], inside[-1]
    seconds = t_b - t_a
    return {
        "backlog": count,
        "processed": samples[-1][1],
        "window_seconds": round(seconds, 2),
        "window_snapshots": n_b - n_a,
        "rate_per_s": round((n_b - n_a) / seconds, 1),
        "worker_cpu_percent": round(100 * (cpu_b - cpu_a) / seconds, 1),
        # steadier than the rate on a machine others use too: CPU time the worker spent per snapshot
        "worker_cpu_ms_per_snapshot": round(1000 * (cpu_b - cpu_a) / max(1, n_b - n_a), 2),
    }
