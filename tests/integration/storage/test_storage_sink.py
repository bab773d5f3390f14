"""The storage sink on the real broker and databases: stored once, replays change nothing, poison, outages."""

import asyncio
import base64
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import orjson
import pytest

from services.common import codec
from services.common.catalog import Catalog, load_catalog
from services.common.metrics import DEADLETTERED, MESSAGES_CONSUMED
from services.common.settings import Settings
from services.sinks.storage.connect import open_database
from services.sinks.storage.migrate import migrate
from services.sinks.storage.sink import StorageSink
from tests.integration.storage.conftest import Target
from tests.support.consumer_groups import behind, rewind, wait_caught_up
from tests.support.kafka import read_topic, send
from tests.support.storage import by_key, corpus, dump, example, produce, stored_messages, ticker_row

#: the topics the storage sink stores, from the catalog
STORED_TOPICS = load_catalog().stored


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[StorageSink]:
    """A storage sink consuming in this process until the block ends; it must stop cleanly."""
    sink = StorageSink(settings, open_database(settings))
    task = asyncio.create_task(sink.run())
    try:
        yield sink
    finally:
        sink.stop()
        await asyncio.wait_for(task, 30)


async def read_back(settings: Settings) -> tuple[dict[str, list[dict[str, Any]]], dict[str, Any]]:
    """(the stored messages, every table's raw rows)."""
    database = open_database(settings)
    try:
        return await stored_messages(database), await dump(database)
    finally:
        await database.close()


def setup(sink_env: dict[str, str]) -> tuple[Settings, Catalog]:
    settings = Settings.load(sink_env)
    return settings, load_catalog(settings.kafka.topic_prefix)


async def test_every_message_is_stored_once_and_a_replay_changes_no_table(sink_env: dict[str, str]) -> None:
    settings, catalog = setup(sink_env)
    sent = corpus()
    await produce(settings, catalog, sent)

    async with running(settings) as sink:
        await wait_caught_up(settings.kafka, sink.group, catalog, STORED_TOPICS)
        assert sink.readiness().ready
    stored, tables = await read_back(settings)

    assert stored == by_key(sent)
    consumed = {name: MESSAGES_CONSUMED.labels(topic=catalog.name(name))._value.get() for name in sent}
    assert consumed == {name: len(messages) for name, messages in sent.items()}

    await rewind(settings.kafka, sink.group, catalog, STORED_TOPICS)
    assert await behind(settings.kafka, sink.group, catalog, STORED_TOPICS) == 22  # 3 of them dead letters
    async with running(settings) as replay:
        await wait_caught_up(settings.kafka, replay.group, catalog, STORED_TOPICS)

    assert await read_back(settings) == (stored, tables)


async def test_poison_messages_are_dead_lettered_and_their_neighbours_stored(
    sink_env: dict[str, str],
) -> None:
    settings, catalog = setup(sink_env)
    topic = catalog.name("ticker.rows")
    key = b"timesca.com|KGS/USD"
    before = ticker_row("KGS/USD", "2025-02-19T06:00:00Z", "0.01144", "0")
    after = ticker_row("KGS/USD", "2025-02-19T07:00:00Z", "0.01146", "0.17")
    nul = orjson.dumps(
        ticker_row("KGS/USD", "2025-02-19T06:30:00Z", "0.01145", "0") | {"source_url": "a\x00b"}
    )
    alert = codec.encode(example("alert"))
    poison = [b"{not json", alert, nul]
    await send(settings.kafka, topic, [(key, codec.encode(before)), *((key, raw) for raw in poison)])
    await send(settings.kafka, topic, [(key, codec.encode(after))])
    counted = DEADLETTERED.labels(stage="store", reason="invalid_json")._value.get()

    async with running(settings) as sink:
        await wait_caught_up(settings.kafka, sink.group, catalog, STORED_TOPICS)

    stored, _ = await read_back(settings)
    assert stored["ticker.rows"] == [before, after]
    letters = await read_topic(settings.kafka, catalog.name("deadletter"), expect=3)
    envelopes = [codec.decode(record.value, "pagewire.deadletter/1") for record in letters]
    assert [record.key for record in letters] == [key] * 3
    partition = envelopes[0]["source"]["partition"]
    assert [(e["stage"], e["reason"], e["source"], base64.b64decode(e["original"])) for e in envelopes] == [
        (
            "store",
            "invalid_json",
            {"topic": topic, "partition": partition, "offset": 1, "key": _b64(key)},
            poison[0],
        ),
        (
            "store",
            "wrong_schema",
            {"topic": topic, "partition": partition, "offset": 2, "key": _b64(key)},
            poison[1],
        ),
        (
            "store",
            "nul_character",
            {"topic": topic, "partition": partition, "offset": 3, "key": _b64(key)},
            nul,
        ),
    ]
    assert [e["snapshot_id"] for e in envelopes] == [
        None,
        example("alert")["snapshot_id"],
        before["snapshot_id"],
    ]
    assert envelopes[1]["error"] == "expected schema pagewire.ticker_row/1, got 'pagewire.alert/1'"
    assert DEADLETTERED.labels(stage="store", reason="invalid_json")._value.get() == counted + 1


async def test_a_row_the_database_refuses_is_dead_lettered_and_the_rest_of_its_batch_stored(
    sink_env: dict[str, str], target: Target
) -> None:
    settings, catalog = setup(sink_env)
    database = open_database(settings)
    await migrate(database)
    await database.close()
    # an operator's constraint: the database, not pagewire, refuses this row
    if target.dialect == "sqlite":
        refuse = "SELECT RAISE(ABORT, 'rate 666 refused')"
        await target.run_sql(
            f"CREATE TRIGGER no_666 BEFORE INSERT ON ticker_rows WHEN NEW.rate = '666' BEGIN {refuse}; END"
        )
    else:
        await target.run_sql("ALTER TABLE ticker_rows ADD CONSTRAINT no_666 CHECK (rate <> '666')")
    rows = [ticker_row(pair, "2025-02-19T06:00:00Z", rate, "0") for pair, rate in [("KGS/USD", "0.01144")]]
    refused = ticker_row("TJS/USD", "2025-02-19T06:00:00Z", "666", "0")
    rows += [refused, ticker_row("UZS/USD", "2025-02-19T06:00:00Z", "0.00008", "0")]
    await produce(settings, catalog, {"ticker.rows": rows})

    async with running(settings) as sink:
        await wait_caught_up(settings.kafka, sink.group, catalog, STORED_TOPICS)

    stored, _ = await read_back(settings)
    assert stored["ticker.rows"] == [rows[0], rows[2]]
    letters = await read_topic(settings.kafka, catalog.name("deadletter"), expect=1)
    envelope = codec.decode(letters[0].value, "pagewire.deadletter/1")
    assert (envelope["reason"], base64.b64decode(envelope["original"])) == (
        "unstorable",
        codec.encode(refused),
    )
    assert "666" in envelope["error"]


async def test_a_database_outage_holds_the_offsets_and_nothing_is_lost(
    sink_env: dict[str, str], target: Target, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    settings, catalog = setup(sink_env)
    sent = corpus()
    first = {"ticker.rows": sent["ticker.rows"][:2]}
    later = {**sent, "ticker.rows": sent["ticker.rows"][2:]}
    await produce(settings, catalog, first)

    async with running(settings) as sink:
        await wait_caught_up(settings.kafka, sink.group, catalog, STORED_TOPICS)
        async with target.outage():
            await produce(settings, catalog, later)
            await asyncio.sleep(3)
            assert sink.readiness().conditions == {"database": False, "kafka": True}
            assert await behind(settings.kafka, sink.group, catalog, STORED_TOPICS) == 20
        await wait_caught_up(settings.kafka, sink.group, catalog, STORED_TOPICS)
        assert sink.readiness().ready

    stored, tables = await read_back(settings)
    assert stored == by_key(sent)
    assert sum(len(rows) for rows in tables.values()) == 27
    retries = [record for record in caplog.records if record.getMessage() == "batch not stored, offsets held"]
    assert retries, "the sink should have logged its retries"
    password = urlsplit(target.url).password
    assert password is None or password not in caplog.text + repr([r.__dict__ for r in caplog.records])


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


async def test_a_sink_started_while_the_database_is_down_waits_for_it_then_stores(
    sink_env: dict[str, str], target: Target
) -> None:
    settings, catalog = setup(sink_env)
    rows = {"ticker.rows": corpus()["ticker.rows"]}
    await produce(settings, catalog, rows)
    sink = StorageSink(settings, open_database(settings))

    async with target.outage():
        task = asyncio.create_task(sink.run())
        await asyncio.sleep(2)
        assert sink.readiness().conditions == {"database": False, "kafka": False}
    await wait_caught_up(settings.kafka, sink.group, catalog, STORED_TOPICS)
    sink.stop()
    await asyncio.wait_for(task, 30)

    stored, _ = await read_back(settings)
    assert stored["ticker.rows"] == by_key(rows)["ticker.rows"]
