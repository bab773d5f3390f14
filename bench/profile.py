"""Where the worker's time goes: py-spy samples a `pagewire worker` draining seed-like snapshots.

`python -m bench.profile [--backlog N] [--seconds S] [--raw FILE]` preloads a backlog under a fresh
topic prefix, starts a real worker (memory store), records it with py-spy (non-blocking, 100 Hz) once it
is busy, and prints the share of samples per component, the table quoted in docs/performance.md.
The raw stacks (py-spy's collapsed format) can be kept with --raw for a flame graph.
"""

import argparse
import asyncio
import collections
import shutil
import sys
import tempfile
from pathlib import Path

from bench.corpus import Corpus
from bench.kafka_env import Offsets, fresh_part, preload
from bench.saturation import records, running_worker

#: component -> stack substrings; a sample counts for the first component any of whose substrings occur
COMPONENTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("idle (event loop waiting)", ("EpollSelector.select",)),
    ("consumer thread (aiokafka fetch, records)", ("Thread._bootstrap",)),
    ("compression (zstd)", ("zstd_encode", "zstd_decode")),
    ("aiokafka producer sender (requests, protocol)", ("Sender._sender_routine", "SendProduceReqHandler")),
    ("parse (page text/HTML)", ("parse_page",)),
    ("taxonomy labels", ("Taxonomy.label",)),
    ("snapshot decode (JSON, schema, base64, sha256)", ("decode_snapshot",)),
    ("ticker dedupe, deltas, state writes", ("SnapshotStage._tickers",)),
    ("alert rules", ("AlertStage.run",)),
    ("articles: identity, revisions, messages", ("SnapshotStage._articles",)),
    ("rest of the snapshot stage (summary, metrics)", ("SnapshotStage.handle",)),
    (
        "output and changelog sends (aiokafka send, accumulator)",
        ("AIOKafkaProducer.send", "MessageAccumulator", "send_queued", "publish_message", "send_soon"),
    ),
    ("Faust stream, agent and commit machinery", ("faust/", "mode/")),
)


def breakdown(raw: str) -> list[tuple[str, float]]:
    """(component, share of samples) from py-spy's collapsed stacks, largest first."""
    counts: collections.Counter[str] = collections.Counter()
    for line in raw.splitlines():
        stack, _, number = line.rpartition(" ")
        if not number.isdigit():
            continue
        name = next((name for name, keys in COMPONENTS if any(key in stack for key in keys)), None)
        counts[name or "other (asyncio, GC, logging)"] += int(number)
    total = sum(counts.values()) or 1
    return [(name, count / total) for name, count in counts.most_common()]


async def profile(backlog: int, seconds: int, raw: Path) -> tuple[int, float]:
    """Snapshots processed and worker CPU seconds spent while py-spy recorded into `raw`."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    corpus = Corpus()
    async with fresh_part("profile") as part:
        await preload(part.settings, part.catalog.name("snapshots.raw"), records(corpus, backlog))
        async with running_worker(part) as worker, Offsets(part.settings) as offsets:
            parsed = part.catalog.name("snapshots.parsed")
            await asyncio.sleep(5)  # past start-up: caches warm, the stream busy
            done, cpu = await offsets.end(parsed), worker.cpu_seconds()
            record = await asyncio.create_subprocess_exec(
                spy, "record", "--nonblocking", "--rate", "100", "--duration", str(seconds),
                "--format", "raw", "--output", str(raw), "--pid", str(worker.pid),
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
            )  # fmt: skip
            if await record.wait() != 0:
                raise RuntimeError("py-spy failed (is it installed? pip install -e '.[dev]')")
            processed = await offsets.end(parsed) - done
            spent = worker.cpu_seconds() - cpu
    return processed, spent


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--backlog", type=int, default=12_000, help="snapshots preloaded (default 12000)")
    parser.add_argument("--seconds", type=int, default=30, help="sampling time (default 30)")
    parser.add_argument("--raw", type=Path, help="keep py-spy's collapsed stacks in this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        raw = args.raw or Path(scratch) / "stacks.txt"
        processed, spent = asyncio.run(profile(args.backlog, args.seconds, raw))
        print(
            f"{processed / args.seconds:.0f} snapshots/s, {1000 * spent / max(1, processed):.2f} ms CPU each"
        )
        for name, share in breakdown(raw.read_text()):
            print(f"{100 * share:5.1f}%  {name}")


if __name__ == "__main__":
    main()
