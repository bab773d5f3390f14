"""Storage fixtures: a fresh database per test on each adapter, a way to take it down, and private topics."""

import os
import sqlite3
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, closing
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg import sql

from services.common.catalog import load_catalog
from services.common.kafka import ensure_topics
from services.common.settings import Settings
from services.sinks.storage.connect import open_database
from services.sinks.storage.database import Database
from services.sinks.storage.sink import STORED_TOPICS

POSTGRES_VARIABLE = "PAGEWIRE_TEST_POSTGRES_URL"


@dataclass(frozen=True)
class Target:
    """One test database: its PAGEWIRE_DATABASE_URL, `outage()` that takes it down for a while, and
    `run_sql(statement)` that runs setup SQL on it directly, as an operator would."""

    dialect: str
    url: str
    outage: Callable[[], AbstractAsyncContextManager[None]]
    run_sql: Callable[[str], Awaitable[None]]


@pytest.fixture(params=["sqlite", "postgresql"])
async def target(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Target]:
    if request.param == "sqlite":
        yield _sqlite_target(tmp_path / "pagewire.db")
        return
    admin = os.environ.get(POSTGRES_VARIABLE)
    if not admin:
        pytest.fail(
            f"{POSTGRES_VARIABLE} is not set: run scripts/test, which starts the test PostgreSQL cluster, or "
            "export a postgresql:// URL of a server where that user may CREATE DATABASE",
            pytrace=False,
        )
    name = f"pwtest_{uuid.uuid4().hex[:12]}"
    await _admin(admin, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _postgres_target(admin, name)
    finally:
        await _admin(admin, sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def storage_env(test_env: dict[str, str], target: Target) -> dict[str, str]:
    """The environment of a storage sink under test: fast retries, its own database, the session's topics."""
    return {
        **test_env,
        "PAGEWIRE_DATABASE_URL": target.url,
        "PAGEWIRE_STORAGE_BACKOFF_BASE": "0.05",
        "PAGEWIRE_STORAGE_BACKOFF_MAX": "0.5",
        "PAGEWIRE_STORAGE_CONNECT_TIMEOUT": "1",
        "PAGEWIRE_STORAGE_POLL_TIMEOUT": "0.2",
        "PAGEWIRE_LAG_INTERVAL": "1",
    }


@pytest.fixture
async def database(storage_env: dict[str, str]) -> AsyncIterator[Database]:
    """The test database's adapter, connected, not yet migrated."""
    opened = open_database(Settings.load(storage_env))
    await opened.connect()
    yield opened
    await opened.close()


@pytest.fixture
async def sink_env(kafka: Settings, storage_env: dict[str, str]) -> dict[str, str]:
    """storage_env with a topic prefix of this test alone, its stored topics and deadletter created."""
    prefix = f"{kafka.kafka.topic_prefix}{uuid.uuid4().hex[:6]}."
    catalog = load_catalog(prefix)
    wanted = [catalog.spec(name) for name in (*STORED_TOPICS, "deadletter")]
    await ensure_topics(kafka.kafka, catalog, only=wanted)
    return {**storage_env, "PAGEWIRE_TOPIC_PREFIX": prefix}


def _sqlite_target(path: Path) -> Target:
    @asynccontextmanager
    async def outage() -> AsyncIterator[None]:
        # root ignores file modes, so "unwritable" is a second connection holding the write lock
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()

    async def run_sql(statement: str) -> None:
        with closing(sqlite3.connect(path, isolation_level=None)) as connection:
            connection.execute(statement)

    return Target("sqlite", f"sqlite:///{path}", outage, run_sql)


def _postgres_target(admin: str, name: str) -> Target:
    url = urlsplit(admin)._replace(path=f"/{name}").geturl()

    @asynccontextmanager
    async def outage() -> AsyncIterator[None]:
        # the database refuses connections and loses the open ones: down, for the sink, like a stopped server
        await _admin(admin, sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(sql.Identifier(name)))
        terminate = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = {}"
        await _admin(admin, sql.SQL(terminate).format(sql.Literal(name)))
        try:
            yield
        finally:
            allow = sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(sql.Identifier(name))
            await _admin(admin, allow)

    async def run_sql(statement: str) -> None:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as connection:
            await connection.execute(statement)

    return Target("postgresql", url, outage, run_sql)


async def _admin(url: str, statement: sql.Composed) -> None:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as connection:
        await connection.execute(statement)
