"""Test databases on both adapters: a fresh SQLite file or PostgreSQL database, and a way to take it down."""

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

POSTGRES_VARIABLE = "PAGEWIRE_TEST_POSTGRES_URL"


@dataclass(frozen=True)
class Target:
    """One test database: its PAGEWIRE_DATABASE_URL, `outage()` that takes it down for a while, and
    `run_sql(statement)` that runs setup SQL on it directly, as an operator would."""

    dialect: str
    url: str
    outage: Callable[[], AbstractAsyncContextManager[None]]
    run_sql: Callable[[str], Awaitable[None]]


def postgres_admin_url() -> str:
    """The server scripts/test starts (PAGEWIRE_TEST_POSTGRES_URL); fails the test when it is not set."""
    admin = os.environ.get(POSTGRES_VARIABLE)
    if not admin:
        pytest.fail(
            f"{POSTGRES_VARIABLE} is not set: run scripts/test, which starts the test PostgreSQL cluster, or "
            "export a postgresql:// URL of a server where that user may CREATE DATABASE",
            pytrace=False,
        )
    return admin


@asynccontextmanager
async def postgres_target() -> AsyncIterator[Target]:
    """A database of its own on the test server, dropped afterwards."""
    admin = postgres_admin_url()
    name = f"pwtest_{uuid.uuid4().hex[:12]}"
    await _admin(admin, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _postgres_target(admin, name)
    finally:
        await _admin(admin, sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def sqlite_target(path: Path) -> Target:
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
