"""SQL for both dialects from the table definitions; migrations in order; --since and URLs understood."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.common.settings import Secret, Settings
from services.domain.errors import ConfigError
from services.sinks.storage.connect import open_database, sqlite_path
from services.sinks.storage.database import scrub
from services.sinks.storage.migrations import discover
from services.sinks.storage.postgres import PostgresDatabase
from services.sinks.storage.queries import since_us
from services.sinks.storage.rows import RowBatch, event_us
from services.sinks.storage.sql import bind, upsert_sql, write_statements
from services.sinks.storage.sqlite import SqliteDatabase
from services.sinks.storage.tables import STALENESS_EVENTS
from tests.support.storage import example

NOW = datetime(2025, 2, 19, 12, 0, tzinfo=UTC)


def test_an_upsert_targets_the_natural_key_and_skips_unchanged_rows() -> None:
    sqlite = upsert_sql(STALENESS_EVENTS, "sqlite")
    postgres = upsert_sql(STALENESS_EVENTS, "postgresql")

    values = "event_us, snapshot_id, last_seen, stale_after_seconds, silent_seconds"
    assert sqlite == (
        f"INSERT INTO staleness_events (site, pair, state, event_time, {values}) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (site, pair, state, event_time) DO UPDATE SET event_us = excluded.event_us, "
        "snapshot_id = excluded.snapshot_id, last_seen = excluded.last_seen, "
        "stale_after_seconds = excluded.stale_after_seconds, silent_seconds = excluded.silent_seconds "
        "WHERE (staleness_events.event_us, staleness_events.snapshot_id, staleness_events.last_seen, "
        "staleness_events.stale_after_seconds, staleness_events.silent_seconds) IS NOT (excluded.event_us, "
        "excluded.snapshot_id, excluded.last_seen, excluded.stale_after_seconds, excluded.silent_seconds)"
    )
    assert postgres == sqlite.replace("?", "%s").replace(" IS NOT ", " IS DISTINCT FROM ")


def test_json_columns_are_cast_to_jsonb_on_postgresql() -> None:
    batch = RowBatch()
    batch.add(example("article"))

    statements = write_statements(batch, "postgresql")

    assert [(s.table, s.sql.split()[0], len(s.params)) for s in statements] == [
        ("articles", "INSERT", 1),
        ("article_labels", "DELETE", 1),
        ("article_labels", "INSERT", 3),
    ]
    assert statements[2].sql.count("%s::jsonb") == 1
    assert statements[1].sql == "DELETE FROM article_labels WHERE article_id = %s AND revision = %s"


def test_bind_refuses_a_literal_percent_that_psycopg_would_misread() -> None:
    assert bind("SELECT ? AS a", "postgresql") == "SELECT %s AS a"
    with pytest.raises(ValueError, match="literal %"):
        bind("SELECT '5%' WHERE a = ?", "postgresql")


def test_migrations_are_numbered_from_one_and_differ_by_dialect_only_in_json_types() -> None:
    migrations = discover()

    assert [(m.version, m.name) for m in migrations] == [
        (1, "initial"),
        (2, "query_indexes"),
        (3, "snapshot_layout"),
        (4, "deadletters"),
    ]
    for migration in migrations:
        postgres = [s.replace("JSONB", "TEXT") for s in migration.statements("postgresql")]
        assert postgres == list(migration.statements("sqlite"))


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("90m", "2025-02-19T10:30:00Z"),
        ("24h", "2025-02-18T12:00:00Z"),
        ("7d", "2025-02-12T12:00:00Z"),
        ("2025-02-19", "2025-02-19T00:00:00Z"),
        ("2025-02-19T06:00:00.5Z", "2025-02-19T06:00:00.500000Z"),
        ("2025-02-19T08:00:00+02:00", "2025-02-19T06:00:00Z"),
    ],
)
def test_since_takes_a_span_back_a_date_or_an_instant(text: str, instant: str) -> None:
    assert since_us(text, NOW) == event_us(instant)


def test_since_names_what_it_expects() -> None:
    with pytest.raises(ConfigError, match=r"--since 'last week': expected e.g. 24h, 7d"):
        since_us("last week", NOW)


def test_database_urls_choose_the_adapter(tmp_path: Path) -> None:
    home = {"PAGEWIRE_HOME": str(tmp_path)}
    default = open_database(Settings.load(home))
    postgres = open_database(Settings.load({"PAGEWIRE_DATABASE_URL": "postgresql://u:pw@db:5432/pagewire"}))

    assert (type(default), default.location) == (SqliteDatabase, str(tmp_path / "pagewire.db"))
    assert (type(postgres), postgres.location) == (PostgresDatabase, "postgresql://u:****@db:5432/pagewire")
    assert sqlite_path("sqlite:////var/lib/pw.db", tmp_path) == Path("/var/lib/pw.db")
    assert sqlite_path("sqlite:///pw.db", tmp_path) == Path("pw.db")


@pytest.mark.parametrize("url", ["mysql://u:hunter2@db/pw", "sqlite://pw.db", "hunter2.db"])
def test_an_unusable_database_url_is_refused_without_printing_it(url: str) -> None:
    with pytest.raises(ConfigError) as refused:
        open_database(Settings.load({"PAGEWIRE_DATABASE_URL": url}))
    assert "hunter2" not in str(refused.value)


def test_scrub_removes_the_url_password_from_error_text() -> None:
    url = Secret("postgresql://pagewire:s3cr3t@127.0.0.1:54329/x")
    assert scrub('FATAL: password "s3cr3t" is wrong', url) == 'FATAL: password "****" is wrong'
    assert scrub("no password here", Secret("")) == "no password here"
