"""PostgreSQL down in the middle of a replay: the storage sink backs off, holds its offsets, catches up."""

import asyncio
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
import pytest

from services.common import codec
from services.common.catalog import load_catalog
from services.common.settings import Settings
from tests.reliability.conftest import Figures
from tests.reliability.runs import FaultPoint, run_replay
from tests.support.consumer_groups import behind, committed
from tests.support.pipeline import Pipeline
from tests.support.replay import build_replay
from tests.support.storage import by_key

#: the topics the storage sink stores, from the catalog
STORED_TOPICS = load_catalog().stored

OUTAGE_SECONDS = 8.0
REPLAY_SEED = 5


async def database_down(run: Pipeline) -> None:
    """Take PostgreSQL away from its sink for a while, checking it waits with its offsets where they were."""
    sink, target = run.storage["postgresql"], run.databases["postgresql"]
    group = run.env["PAGEWIRE_TOPIC_PREFIX"] + "storage-postgresql"
    kafka, catalog = run.settings.kafka, run.catalog
    async with target.outage():
        await asyncio.sleep(2)  # the batch in hand fails, and the sink starts backing off
        held = await committed(kafka, group, catalog, STORED_TOPICS)
        ready = await sink.get("/readyz")
        await asyncio.sleep(OUTAGE_SECONDS - 2)
        assert await committed(kafka, group, catalog, STORED_TOPICS) == held, "offsets moved while down"
        assert await behind(kafka, group, catalog, STORED_TOPICS) > 0, "nothing arrived during the outage"
    assert (ready.status_code, ready.json()["conditions"]["database"]) == (503, False)


def latest(topics: dict[str, list[tuple[bytes, bytes]]]) -> dict[str, list[dict[str, Any]]]:
    """What the storage tables must hold: each stored topic's messages, the last one per table key."""
    found: dict[str, list[dict[str, Any]]] = {}
    catalog = load_catalog()
    for name, key in STORED.items():
        last = {}
        for _, value in topics[name]:
            message = codec.decode(value, catalog.spec(name).value)
            last[tuple(_field(message, field) for field in key)] = message
        found[name] = list(last.values())
    return by_key(found)


# each stored topic's natural key of its table (services/sinks/storage/tables.py); its message type is the
# catalog's value for the topic
STORED = {
    "ticker.rows": ("site", "pair", "event_time"),
    "rates.deltas": ("site", "pair", "event_time"),
    "ticker.staleness": ("site", "pair", "state", "event_time"),
    "articles": ("article_id", "revision"),
    "snapshots.parsed": ("snapshot_id",),  # a page fetched again: its latest summary
    "alerts": ("alert_id",),
    "alerts.deliveries": ("alert_id", "destination"),
    "deadletter": ("stage", "source.topic", "source.partition", "source.offset"),
}
assert set(STORED) == set(STORED_TOPICS)


def _field(message: dict[str, Any], path: str) -> Any:
    """A field of `message` by its dotted path: 'source.topic'."""
    value: Any = message
    for part in path.split("."):
        value = value[part]
    return value


@pytest.mark.timeout(600)
async def test_postgresql_down_mid_replay_is_waited_out_and_every_row_stored_once(
    kafka: Settings, test_env: dict[str, str], tmp_path: Path, figures: Figures
) -> None:
    records = build_replay(REPLAY_SEED, sites=2, per_site=45, poison=False).records
    plan = [FaultPoint(len(records) // 3, "database down", 0.0)]
    urls: list[str] = []

    async def fault(run: Pipeline) -> None:
        urls.append(run.databases["postgresql"].url)
        await database_down(run)

    outcome = await run_replay(test_env, tmp_path / "run", records, plan, faults={"database down": fault})

    # PostgreSQL (down for a while) holds exactly what SQLite (never down) and the topics hold
    expected = latest(outcome.topics)
    assert outcome.stored["postgresql"] == outcome.stored["sqlite"] == expected
    logs = (tmp_path / "run" / "storage-postgresql.log").read_text()
    events = [orjson.loads(line) for line in logs.splitlines() if line.startswith("{")]
    waits = [e["retry_in_seconds"] for e in events if e.get("event") == "batch not stored, offsets held"]
    assert len(waits) >= 3 and waits[-1] > waits[0], f"no backing off in {waits}"
    assert any(e.get("event") == "storage sink recovered" for e in events)
    password = urlsplit(urls[0]).password
    assert password and password not in logs
    figures.rows_compared += 2 * sum(len(rows) for rows in expected.values())
    figures.outages.append(f"PostgreSQL down {OUTAGE_SECONDS:g}s after snapshot {plan[0].after}")
    figures.notes.append(f"database outage: {len(waits)} backed-off retries, then caught up")
