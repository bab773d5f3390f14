"""`python -m bench`: every part in one run on the real local broker, a table on screen and a JSON file."""

import argparse
import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from bench.baseline import run_baseline
from bench.corpus import Corpus
from bench.kafka_env import RUN_ID, broker_answers, fresh_part
from bench.latency import run_latency
from bench.parser import run_parser
from bench.recovery import run_recovery
from bench.report import RESULTS, machine, print_table, settings_that_matter, verdicts
from bench.saturation import run_saturation
from bench.scale import WORKERS, run_scale
from bench.sink import PostgresDatabase, run_sink, sqlite_url
from services.common.settings import Settings

PARTS = ("parser", "baseline", "worker", "recovery", "sink", "scale")
LOADS = (25, 50, 75)  # per cent of the worker's measured maximum


#: sizes of each part: the full run stays under ~10 minutes on the 2-core machine, --quick under ~2
FULL = {
    "baseline_messages": 20_000,
    "worker_backlog": 40_000,
    "worker_deadline_s": 90.0,
    "latency_warm_up_s": 5.0,
    "latency_measure_s": 20.0,
    "sink_snapshots": 8_000,
    "recovery_backlog": 8_000,
    "parser_seconds": 3.0,
    "scale_backlog": 12_000,
}
QUICK = {
    "baseline_messages": 3_000,
    "worker_backlog": 5_000,
    "worker_deadline_s": 30.0,
    "latency_warm_up_s": 2.0,
    "latency_measure_s": 5.0,
    "sink_snapshots": 1_500,
    "recovery_backlog": 1_500,
    "parser_seconds": 0.5,
    "scale_backlog": 2_000,
}


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    # `pagewire bench` runs this module and names itself so in the usage line
    prog = os.environ.get("PAGEWIRE_BENCH_PROG", "python -m bench")
    parser = argparse.ArgumentParser(prog=prog, description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run of a minute or two")
    parser.add_argument(
        "--only",
        default=",".join(PARTS),
        help=f"comma-separated parts to run (default all: {','.join(PARTS)})",
    )
    parser.add_argument(
        "--json", type=Path, help="where to write the results (default bench/results/<time>.json)"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated snapshots (default 1)")
    parser.add_argument(
        "--store",
        choices=("memory", "rocksdb"),
        default="memory",
        help="the worker part's table store (default memory; the recovery part always runs RocksDB)",
    )
    args = parser.parse_args(argv)
    args.parts = [part.strip() for part in args.only.split(",") if part.strip()]
    unknown = set(args.parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown part(s) {', '.join(sorted(unknown))}; choose from {', '.join(PARTS)}")
    return args


async def run(args: argparse.Namespace) -> dict[str, Any]:
    sizes = QUICK if args.quick else FULL
    settings = Settings.load()
    corpus = Corpus(args.seed)
    started = time.perf_counter()
    results: dict[str, Any] = {
        "version": 1,
        "run_id": RUN_ID,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "parts": args.parts,
        "sizes": sizes,
        "machine": machine(),
        "settings": settings_that_matter(settings, args.store),
    }
    if set(args.parts) - {"parser"} and not await broker_answers(settings):
        raise SystemExit(
            f"no Kafka broker answers at {settings.kafka.bootstrap}: start one with `pagewire kafka up`"
        )
    if "parser" in args.parts:
        _say("parser")
        results["parser"] = run_parser(corpus, sizes["parser_seconds"])
    if "baseline" in args.parts:
        _say("baseline: raw aiokafka passthrough")
        async with fresh_part("baseline") as part:
            results["baseline"] = await run_baseline(part, corpus, int(sizes["baseline_messages"]))
    if "worker" in args.parts:
        results["worker"] = await _worker(corpus, sizes, args.store)
    if "recovery" in args.parts:
        _say("recovery: a RocksDB worker drains, then starts clean, after a SIGKILL, with its files lost")
        async with fresh_part("recovery") as part:
            backlog = int(sizes["recovery_backlog"])
            results["recovery"] = await run_recovery(part, corpus, backlog, sizes["worker_deadline_s"])
    if "sink" in args.parts:
        results["sink"] = await _sink(corpus, int(sizes["sink_snapshots"]))
    if "scale" in args.parts:
        _say(f"scale: {', '.join(map(str, WORKERS))} workers drain a backlog; a takeover of one of 2")
        results["scale"] = await run_scale(corpus, int(sizes["scale_backlog"]), sizes["worker_deadline_s"])
    results["targets"] = verdicts(results)
    results["ratios"] = {"worker_vs_baseline": results["targets"]["worker_vs_baseline"]["measured"]}
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["machine"]["load_average_at_end"] = [round(value, 2) for value in os.getloadavg()]
    return results


async def _worker(corpus: Corpus, sizes: dict[str, float], store: str) -> dict[str, Any]:
    _say(f"worker: drain a backlog ({store} store)")
    store_env = {"PAGEWIRE_WORKER_STORE": store}
    async with fresh_part("worker-max", store_env) as part:
        highest = await run_saturation(part, corpus, int(sizes["worker_backlog"]), sizes["worker_deadline_s"])
    _say(f"worker: latency at {', '.join(f'{load}%' for load in LOADS)} of {highest['rate_per_s']:.0f}/s")
    async with fresh_part("worker-latency", store_env) as part:
        latency = await run_latency(
            part, corpus, highest["rate_per_s"], LOADS, sizes["latency_warm_up_s"], sizes["latency_measure_s"]
        )
    return {
        "store": store,
        "max": highest,
        "latency": latency,
        "peak_rss_mb": max(highest["peak_rss_mb"], latency["peak_rss_mb"]),
    }


async def _sink(corpus: Corpus, snapshots: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    _say("storage sink: SQLite")
    with tempfile.TemporaryDirectory(prefix="pwbench-sqlite-") as directory:
        async with fresh_part("sink-sqlite") as part:
            results["sqlite"] = await run_sink(part, corpus, snapshots, sqlite_url(Path(directory)))
    postgres = PostgresDatabase()
    reason = postgres.skipped_because()
    if reason:
        results["postgresql"] = {"skipped": reason}
        return results
    _say("storage sink: PostgreSQL")
    async with postgres, fresh_part("sink-postgresql") as part:
        results["postgresql"] = await run_sink(part, corpus, snapshots, postgres.url)
    return results


def _say(what: str) -> None:
    print(f"==> {what}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> None:
    args = arguments(argv)
    results = asyncio.run(run(args))
    path = args.json or RESULTS / f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    print_table(results)
    print(f"results: {path}")


if __name__ == "__main__":
    main()
