"""`pagewire sink storage` as a process (stops cleanly on SIGTERM) and `pagewire query` output, exactly."""

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from services.common.catalog import load_catalog
from services.common.settings import Settings
from tests.conftest import REPO
from tests.integration.storage.conftest import Target
from tests.support.consumer_groups import wait_caught_up
from tests.support.storage import SNAP_A, SNAP_B, corpus, example, produce

#: the topics the storage sink stores, from the catalog
STORED_TOPICS = load_catalog().stored

PAGEWIRE = Path(sys.executable).parent / "pagewire"


async def pagewire(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        PAGEWIRE,
        *args,
        env={**os.environ, **env},
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def json_lines(env: dict[str, str], *args: str) -> list[dict[str, Any]]:
    code, out, err = await pagewire(env, "query", *args, "--json")
    assert (code, err) == (0, "")
    return [orjson.loads(line) for line in out.splitlines()]


async def observability_url(process: asyncio.subprocess.Process) -> str:
    """The url the process logs once its /metrics, /healthz and /readyz server listens."""
    assert process.stderr is not None
    while line := await asyncio.wait_for(process.stderr.readline(), 30):
        event = orjson.loads(line)
        if event.get("event") == "observability server listening":
            return str(event["url"])
    raise AssertionError("the sink exited before serving its probes")


def rate(pair: str, value: str, change: str, when: str, snapshot: str = SNAP_A) -> dict[str, Any]:
    fields = ("site", "pair", "rate", "change_pct", "event_time", "snapshot_id")
    return dict(zip(fields, ("timesca.com", pair, value, change, when, snapshot), strict=True))


async def test_the_sink_process_stores_stops_on_sigterm_and_query_prints_what_it_stored(
    sink_env: dict[str, str], target: Target
) -> None:
    settings = Settings.load(sink_env)
    catalog = load_catalog(settings.kafka.topic_prefix)
    await produce(settings, catalog, corpus())
    env = {**os.environ, **sink_env, "PAGEWIRE_OBSERVE_STORAGE_SINK_PORT": "0"}
    sink = await asyncio.create_subprocess_exec(
        PAGEWIRE, "sink", "storage", env=env, cwd=REPO, stderr=asyncio.subprocess.PIPE
    )
    url = await observability_url(sink)
    group = settings.kafka.topic_prefix + "storage"
    await wait_caught_up(settings.kafka, group, catalog, STORED_TOPICS)
    async with httpx.AsyncClient(base_url=url) as client:
        ready = (await client.get("/readyz")).json()
        metrics = (await client.get("/metrics")).text
    sink.send_signal(signal.SIGTERM)
    _, rest = await asyncio.wait_for(sink.communicate(), 30)
    logs = rest.decode()

    assert ready == {"ready": True, "conditions": {"database": True, "kafka": True}}
    consumed = f'pagewire_messages_consumed_total{{topic="{catalog.name("articles")}"}} 3.0'
    assert consumed in metrics.splitlines()
    assert sink.returncode == 0
    assert '"storage sink stopped"' in logs
    password = urlsplit(target.url).password
    assert password is None or password not in logs

    assert await json_lines(sink_env, "rates") == [
        rate("KGS/USD", "0.01146", "0.17", "2025-02-19T07:00:00Z"),
        rate("KZT/USD", "0.00196", "1.20", "2025-02-19T07:00:00.500000Z"),
        rate("TJS/USD", "0.09156", "-0.11", "2025-02-19T06:00:00Z"),
        rate("UZS/USD", "0.00008", "-0", "2025-02-19T06:00:00Z", SNAP_B),
    ]
    assert await json_lines(sink_env, "rates", "--pair", "kgs/usd", "--since", "2025-02-19") == [
        rate("KGS/USD", "0.01146", "0.17", "2025-02-19T07:00:00Z"),
        rate("KGS/USD", "0.01144", "0", "2025-02-19T06:00:00Z"),
    ]
    assert await json_lines(sink_env, "rates", "--since", "2025-02-19T07:00:00.000001Z", "--limit", "1") == [
        rate("KZT/USD", "0.00196", "1.20", "2025-02-19T07:00:00.500000Z")
    ]
    assert await json_lines(sink_env, "deltas", "--pair", "UZS/USD") == [
        {
            "site": "timesca.com",
            "pair": "UZS/USD",
            "event_time": "2025-02-19T08:00:00.250000Z",
            "previous_rate": "0.00008",
            "rate": "0.00009",
            "change": "0.00001",
            "change_pct": "12.5",
            "change_ticks": 1,
            "reported_change_pct": "-0",
            "quantised": True,
            "snapshot_id": example("rate_delta")["snapshot_id"],
        }
    ]
    article = example("article")
    assert await json_lines(sink_env, "articles", "--label", "turkey") == [
        {
            "article_id": article["article_id"],
            "revision": 2,
            "site": "timesca.com",
            "title": article["title"],
            "body": "A changed body.",
            "truncated": False,
            "first_seen": "2025-02-19T06:00:00Z",
            "event_time": "2025-02-19T09:00:00Z",
            "snapshot_id": article["snapshot_id"],
            "labels": {"countries": ["turkey"], "subjects": ["security-defense"]},
        }
    ]
    # labels in any case; the latest revision dropped the label: the article is no longer about Kazakhstan
    assert await json_lines(sink_env, "articles", "--label", "Turkey") == await json_lines(
        sink_env, "articles", "--label", "turkey"
    )
    assert await json_lines(sink_env, "articles", "--label", "kazakhstan") == []
    code, out, err = await pagewire(sink_env, "query", "articles", "--label", "kazakstan")
    assert (code, out) == (2, "")
    assert "Invalid value for --label: unknown label 'kazakstan'; known labels: afghanistan, china," in err
    alerts = await json_lines(sink_env, "alerts")
    assert [(a["alert_id"], a["status"], a["window"], a["value"], a["deliveries"]) for a in alerts] == [
        ("1" * 32, "resolved", None, None, {}),
        (
            example("alert")["alert_id"],
            "firing",
            "1h",
            "1.748252",
            {"hooks": "dead_lettered", "ops-slack": "delivered"},
        ),
    ]

    letters = await json_lines(sink_env, "deadletter")
    assert letters == [
        {
            "event_time": "2025-02-19T07:00:03Z",
            "stage": "decode",
            "reason": "empty_message",
            "error": "a tombstone (no value) on snapshots.raw",
            "source_topic": "pagewire.snapshots.raw",
            "source_partition": 1,
            "source_offset": 3,
            "source_key": None,
            "snapshot_id": None,
            "original_size": 0,
        },
        {
            "event_time": "2025-02-19T07:00:02Z",
            "stage": "store",
            "reason": "nul_character",
            "error": "ticker_rows.rate: text contains U+0000",
            "source_topic": "pagewire.ticker.rows",
            "source_partition": 0,
            "source_offset": 7,
            "source_key": "timesca.com|KGS/USD",
            "snapshot_id": None,
            "original_size": 21,
        },
        {
            "event_time": "2025-02-19T06:00:01Z",
            "stage": "parse",
            "reason": "undecodable_body",
            "error": "body is not valid utf-8 (declared charset utf-8): invalid start byte at position 0",
            "source_topic": "pagewire.snapshots.raw",
            "source_partition": 2,
            "source_offset": 41,
            "source_key": "timesca.com",
            "snapshot_id": None,
            "original_size": 32,
        },
    ]
    # --site: the original's key is the site (a snapshot) or starts with it (site|pair)
    assert await json_lines(sink_env, "deadletter", "--site", "timesca.com") == letters[1:]
    assert (
        await json_lines(sink_env, "deadletter", "--since", "2025-02-19T07:00:00Z", "--limit", "1")
        == letters[:1]
    )

    # --site on every view: the stored site (in any case) keeps every row, another site none
    for view in ("rates", "deltas", "articles", "alerts"):
        every = await json_lines(sink_env, view)
        assert every and await json_lines(sink_env, view, "--site", "TimesCA.com") == every
        assert await json_lines(sink_env, view, "--site", "other.example") == []

    code, table, _ = await pagewire(sink_env, "query", "rates", "--pair", "UZS/USD")
    assert code == 0
    assert [line.split() for line in table.splitlines() if "UZS/USD" in line] == [
        ["timesca.com", "UZS/USD", "0.00008", "-0", "2025-02-19T06:00:00Z"]
    ]


async def test_query_names_a_missing_or_empty_database_instead_of_making_one(tmp_path: Path) -> None:
    missing = tmp_path / "none.db"
    code, _, err = await pagewire({"PAGEWIRE_DATABASE_URL": f"sqlite:///{missing}"}, "query", "rates")

    assert (code, err) == (1, f"Error: {missing}: no such database file\n")
    assert not missing.exists()


async def test_query_refuses_a_bad_since() -> None:
    code, _, err = await pagewire({}, "query", "deltas", "--since", "yesterday")

    assert code == 2
    assert "--since 'yesterday': expected e.g. 24h, 7d, 2025-02-19 or 2025-02-19T06:00:00Z" in err
