"""The production store: a RocksDB-backed worker (rocksdict) keeps its tables on disk across a restart."""

from pathlib import Path

from services.common.catalog import load_catalog
from services.common.settings import Settings
from tests.support.worker import Worker, of_site, private_topics, read_outputs, record, sample, send, snapshot

TOPICS = ["snapshots.parsed", "ticker.rows", "rates.deltas", "articles"]


async def test_a_rocksdb_worker_restarts_from_its_own_files_and_re_emits_nothing(
    kafka: Settings, test_env: dict[str, str], tmp_path: Path
) -> None:
    prefix = await private_topics(kafka, "rocks")
    catalog = load_catalog(prefix["PAGEWIRE_TOPIC_PREFIX"])
    private = Settings.load({"PAGEWIRE_KAFKA_BOOTSTRAP": kafka.kafka.bootstrap, **prefix})
    state = tmp_path / "state"
    env = {**test_env, **prefix, "PAGEWIRE_WORKER_STORE": "rocksdb", "PAGEWIRE_STATE_DIR": str(state)}
    site = "rocks.example"

    worker = Worker(env, tmp_path / "worker.log")
    await worker.start()
    try:
        await send(private, [record(snapshot(site, "2025-02-19T06:00:00Z"))])
        first = await read_outputs(
            kafka.kafka, catalog, TOPICS, lambda found: len(of_site(found, "snapshots.parsed", site)) == 1
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
        await send(private, [record(snapshot(site, "2025-02-19T06:05:00Z")), record(later)])
        found = await read_outputs(
            kafka.kafka, catalog, TOPICS, lambda found: len(of_site(found, "snapshots.parsed", site)) == 3
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
