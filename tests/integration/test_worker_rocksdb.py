"""The production store: a RocksDB-backed worker (rocksdict) keeps its tables on disk across a restart."""

from pathlib import Path
from typing import Any

import orjson

from services.common.kafka import message_counts
from services.common.settings import Settings
from tests.support.worker import Worker, of_site, own_topics, read_outputs, record, sample, send, snapshot

TOPICS = ["snapshots.parsed", "ticker.rows", "rates.deltas", "articles"]


async def test_a_rocksdb_worker_restarts_from_its_own_files_and_re_emits_nothing(
    kafka: Settings, test_env: dict[str, str], tmp_path: Path
) -> None:
    own = await own_topics(kafka, "rocks")
    state = tmp_path / "state"
    env = {**test_env, **own.env, "PAGEWIRE_WORKER_STORE": "rocksdb", "PAGEWIRE_STATE_DIR": str(state)}
    site = "rocks.example"

    worker = Worker(env, tmp_path / "worker.log")
    await worker.start()
    try:
        await send(own.settings, [record(snapshot(site, "2025-02-19T06:00:00Z"))])
        first = await read_outputs(
            kafka.kafka, own.catalog, TOPICS, lambda found: len(of_site(found, "snapshots.parsed", site)) == 1
        )
    finally:
        assert await worker.stop() == 0, worker.tail()
    # one RocksDB per table and partition, under the state directory
    tables = sorted(path.name for path in state.rglob("*.db") if path.is_dir())
    assert {name.rsplit("-", 1)[0] for name in tables} == {"ticker", "article", "alert-group", "site"}
    assert all((path / "CURRENT").exists() for path in state.rglob("*.db"))

    await worker.start()
    try:
        later = sample(site, "replay/20250219T090000Z.txt")
        await send(own.settings, [record(snapshot(site, "2025-02-19T06:05:00Z")), record(later)])
        found = await read_outputs(
            kafka.kafka, own.catalog, TOPICS, lambda found: len(of_site(found, "snapshots.parsed", site)) == 3
        )
    finally:
        assert await worker.stop() == 0, worker.tail()

    assert len(of_site(first, "ticker.rows", site)) == 5 and len(of_site(first, "articles", site)) == 6
    new = [output for output in found if output not in first]
    assert sorted((o.topic, o.key) for o in new if o.topic != "snapshots.parsed") == [
        ("rates.deltas", f"{site}|KGS/USD"),
        ("rates.deltas", f"{site}|TJS/USD"),
        ("rates.deltas", f"{site}|UZS/USD"),
        ("ticker.rows", f"{site}|KGS/USD"),
        ("ticker.rows", f"{site}|TJS/USD"),
        ("ticker.rows", f"{site}|UZS/USD"),
    ]
    assert {o.value["snapshot_id"] for o in new if o.topic != "snapshots.parsed"} == {later.snapshot_id}


TABLES = ("ticker", "article", "alert-group", "site")


def recoveries(worker: Worker) -> list[dict[str, Any]]:
    """The worker's "state recovered" log lines, oldest first."""
    lines = worker.log.read_bytes().splitlines()
    return [orjson.loads(line) for line in lines if b'"state recovered' in line]


async def changelog_records(settings: Settings, prefix: str) -> int:
    names = [f"{prefix}{settings.worker.app_id}-{table}-changelog" for table in TABLES]
    counts = await message_counts(settings.kafka, names)
    assert sorted(counts) == sorted(names), f"changelog topics missing: {counts}"
    return sum(counts.values())


async def test_every_start_says_how_it_found_its_tables_and_how_much_of_the_changelog_it_read(
    kafka: Settings, test_env: dict[str, str], tmp_path: Path
) -> None:
    own = await own_topics(kafka, "recovery")
    # the killed worker's successor joins once the broker gives up on it: 6 s (the broker's least), not 30
    env = {
        **test_env,
        **own.env,
        "PAGEWIRE_STATE_DIR": str(tmp_path / "state"),
        "PAGEWIRE_WORKER_SESSION_TIMEOUT": "6",
    }
    site = "recovery.example"
    rocks = Worker({**env, "PAGEWIRE_WORKER_STORE": "rocksdb"}, tmp_path / "rocksdb.log")

    await rocks.start()
    await send(own.settings, [record(snapshot(site, "2025-02-19T06:00:00Z"))])
    await read_outputs(
        kafka.kafka, own.catalog, TOPICS, lambda found: bool(of_site(found, "snapshots.parsed", site))
    )
    await rocks.kill()  # after its commit or not: its files hold only what the changelog holds
    await rocks.start()
    assert await rocks.stop() == 0
    await rocks.start()
    metrics = await rocks.metrics()
    assert await rocks.stop() == 0

    starts = [(line["how"], line["store"]) for line in recoveries(rocks)]
    assert starts == [("fresh", "rocksdb"), ("unclean", "rocksdb"), ("clean", "rocksdb")]
    # a clean stop leaves nothing for the next start to read; its local files are up to date
    assert recoveries(rocks)[2]["changelog_records"] == 0
    assert 'pagewire_worker_state_starts_total{how="clean"} 1.0' in metrics
    assert "pagewire_worker_recovery_records 0.0" in metrics

    written = await changelog_records(own.settings, own.prefix)
    # 5 pairs, 6 articles and the site; more if the snapshot was processed again after the kill
    assert written >= 12
    memory = Worker({**env, "PAGEWIRE_WORKER_STORE": "memory"}, tmp_path / "memory.log")
    await memory.start()
    metrics = await memory.metrics()
    assert await memory.stop() == 0
    [line] = recoveries(memory)
    assert (line["how"], line["changelog_records"]) == ("memory", written)  # the whole changelog
    assert line["detail"] == "memory store: the tables are read from the changelog in full at every start"
    assert f"pagewire_worker_recovery_records {float(written)}" in metrics
    seconds = next(row for row in metrics.splitlines() if row.startswith("pagewire_worker_recovery_seconds "))
    assert 0 < float(seconds.split()[1]) < 60
