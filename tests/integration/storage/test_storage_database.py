"""One behaviour on both adapters (SQLite, PostgreSQL): migrations, exact storage, idempotence, failures."""

from typing import Any
from urllib.parse import urlsplit

import pytest

from services.domain.errors import StorageError
from services.sinks.storage.database import Database, DatabaseUnavailable, RowsRefused
from services.sinks.storage.migrate import migrate, require_current
from services.sinks.storage.migrations import discover
from services.sinks.storage.rows import RowBatch
from services.sinks.storage.sql import Statement, upsert_sql, write_statements
from services.sinks.storage.tables import TABLES, TICKER_ROWS
from tests.integration.storage.conftest import Target
from tests.support.storage import by_key, corpus, dump, example, stored_messages, varied

TABLE_NAMES = [table.name for table in TABLES]


async def write(database: Database, messages: list[dict[str, Any]]) -> None:
    batch = RowBatch()
    for message in messages:
        batch.add(message)
    await database.execute(write_statements(batch, database.dialect))


def every_message() -> list[dict[str, Any]]:
    return [message for messages in corpus().values() for message in messages]


async def test_migrations_create_every_table_and_record_each_version(database: Database) -> None:
    assert await database.applied_versions() == []

    assert await migrate(database) == [1, 2, 3, 4]

    assert await database.applied_versions() == [1, 2, 3, 4]
    recorded = await database.fetch("SELECT version, name FROM schema_migrations ORDER BY version")
    assert recorded == [
        {"version": 1, "name": "initial"},
        {"version": 2, "name": "query_indexes"},
        {"version": 3, "name": "snapshot_layout"},
        {"version": 4, "name": "deadletters"},
    ]
    for name in TABLE_NAMES:
        assert await database.fetch(f"SELECT COUNT(*) AS n FROM {name}") == [{"n": 0}]
    await require_current(database)
    if database.dialect == "sqlite":
        assert await database.fetch("PRAGMA journal_mode") == [{"journal_mode": "wal"}]


async def test_migrating_again_changes_nothing(database: Database) -> None:
    await migrate(database)
    await write(database, every_message())
    before = await database.fetch("SELECT * FROM schema_migrations ORDER BY version")
    tables = await dump(database)

    assert await migrate(database) == []

    assert await database.fetch("SELECT * FROM schema_migrations ORDER BY version") == before
    assert await dump(database) == tables


async def test_an_older_schema_is_upgraded_to_the_newest(database: Database, target: Target) -> None:
    assert await migrate(database, discover()[:1]) == [1]
    with pytest.raises(StorageError, match="is at schema version 1, this pagewire needs 4"):
        await require_current(database)

    assert await migrate(database) == [2, 3, 4]

    if target.dialect == "sqlite":
        found = await database.fetch("SELECT name FROM sqlite_master WHERE name = 'ticker_rows_latest'")
    else:
        found = await database.fetch(
            "SELECT indexname AS name FROM pg_indexes WHERE indexname = 'ticker_rows_latest'"
        )
    assert found == [{"name": "ticker_rows_latest"}]
    columns = "heading, line_count, dropped_line_count"
    assert await database.fetch(f"SELECT {columns} FROM snapshots") == []
    await require_current(database)


async def test_a_database_without_tables_is_named_as_such(database: Database) -> None:
    with pytest.raises(StorageError, match="has no pagewire tables yet: run `pagewire sink storage` first"):
        await require_current(database)


async def test_every_message_type_is_stored_exactly_as_sent(database: Database) -> None:
    await migrate(database)
    sent = corpus()

    await write(database, every_message())

    assert await stored_messages(database) == by_key(sent)
    signs = await database.fetch("SELECT pair, rate, change_pct FROM ticker_rows WHERE pair = 'UZS/USD'")
    assert signs == [{"pair": "UZS/USD", "rate": "0.00008", "change_pct": "-0"}]
    delta = await database.fetch("SELECT reported_change_pct, change_bps FROM rate_deltas WHERE quantised")
    assert delta == [{"reported_change_pct": "-0", "change_bps": "1250.0000"}]


async def test_writing_the_same_messages_again_leaves_every_table_unchanged(database: Database) -> None:
    await migrate(database)
    await write(database, every_message())
    first = await dump(database)

    await write(database, every_message())
    await write(database, every_message()[::-1][:3])

    assert await dump(database) == first
    assert {name: len(rows) for name, rows in first.items()} == {
        "ticker_rows": 5,
        "rate_deltas": 2,
        "staleness_events": 2,
        "articles": 3,
        "article_labels": 5,
        "snapshots": 3,
        "alerts": 2,
        "alert_deliveries": 2,
        "deadletters": 3,
    }


async def test_a_later_copy_of_an_article_revision_replaces_its_labels(database: Database) -> None:
    await migrate(database)
    article = example("article")
    await write(database, [article])
    fewer = varied("article", labels={"countries": article["labels"]["countries"][:1], "subjects": []})

    await write(database, [fewer])

    stored = (await stored_messages(database))["articles"]
    assert stored == [fewer]


async def test_within_a_batch_the_last_message_of_a_key_wins(database: Database) -> None:
    await migrate(database)
    first = varied("alert_delivery", outcome="dead_lettered", attempts=9, status_code=None, reason="timeout")
    second = example("alert_delivery")

    await write(database, [first, second])

    assert (await stored_messages(database))["alerts.deliveries"] == [second]


async def test_rows_the_database_refuses_raise_rows_refused_and_write_nothing(database: Database) -> None:
    await migrate(database)
    good = ("timesca.com", "KGS/USD", "2025-02-19T06:00:00Z", 1, "KGS", "USD", "0.01144", "0", "a" * 64, "u")
    missing_rate = (*good[:6], None, *good[7:])
    upsert = upsert_sql(TICKER_ROWS, database.dialect)

    with pytest.raises(RowsRefused):
        await database.execute([Statement("ticker_rows", upsert, (good, missing_rate))])

    assert await database.fetch("SELECT COUNT(*) AS n FROM ticker_rows") == [{"n": 0}]


async def test_an_unavailable_database_raises_database_unavailable_then_recovers(
    database: Database, target: Target
) -> None:
    await migrate(database)
    await write(database, [example("ticker_row")])

    async with target.outage():
        with pytest.raises(DatabaseUnavailable) as raised:
            await write(database, [example("alert")])

    password = urlsplit(target.url).password
    assert password is None or password not in str(raised.value)
    await write(database, [example("alert")])
    stored = await stored_messages(database)
    assert (stored["ticker.rows"], stored["alerts"]) == ([example("ticker_row")], [example("alert")])
