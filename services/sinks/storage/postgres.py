"""The PostgreSQL adapter: one psycopg 3 async connection, reopened after failures, each call time-bounded."""

import asyncio
import math
from collections import defaultdict
from collections.abc import Sequence
from contextlib import suppress
from datetime import UTC, datetime
from time import perf_counter
from typing import Any, NoReturn

import psycopg
from psycopg.rows import dict_row

from services.common.settings import Secret
from services.domain.errors import StorageError
from services.domain.instants import format_instant
from services.sinks.storage.database import TRANSACTION, DatabaseUnavailable, RowsRefused, Timings, scrub
from services.sinks.storage.migrations import BOOKKEEPING, IS_APPLIED, RECORD, Migration
from services.sinks.storage.sql import Statement, bind
from services.sinks.storage.tables import Dialect

Connection = psycopg.AsyncConnection[dict[str, Any]]
# pg_advisory_xact_lock key serialising migrations of concurrent sinks: "pagewire" in ASCII
_MIGRATION_LOCK = 0x7061676577697265


class PostgresDatabase:
    """pagewire's tables in a PostgreSQL database."""

    dialect: Dialect = "postgresql"

    def __init__(self, url: Secret, *, timeout: float = 5.0, statement_timeout: float = 60.0) -> None:
        self._url = url
        self._timeout = timeout
        # a server that stops answering mid-transaction must not hang the sink: give up, reconnect, retry
        self._statement_timeout = statement_timeout
        self._connection: Connection | None = None

    @property
    def location(self) -> str:
        return self._url.masked

    async def connect(self) -> None:
        await self._open()

    async def execute(self, statements: Sequence[Statement]) -> Timings:
        connection = await self._open()
        timings: Timings = defaultdict(float)
        started = perf_counter()
        try:
            async with asyncio.timeout(self._statement_timeout), connection.transaction():
                for statement in statements:
                    began = perf_counter()
                    async with connection.cursor() as cursor:
                        await cursor.executemany(statement.sql, statement.params)
                    timings[statement.table] += perf_counter() - began
        except (psycopg.Error, TimeoutError, OSError) as exc:
            await self._fail(exc)
        timings[TRANSACTION] = perf_counter() - started
        return dict(timings)

    async def fetch(self, sql: str, params: Sequence[object] = ()) -> list[dict[str, Any]]:
        connection = await self._open()
        try:
            async with asyncio.timeout(self._statement_timeout), connection.cursor() as cursor:
                await cursor.execute(bind(sql, self.dialect), tuple(params))
                return await cursor.fetchall()
        except (psycopg.Error, TimeoutError, OSError) as exc:
            await self._fail(exc)

    async def apply_migration(self, migration: Migration) -> bool:
        connection = await self._open()
        try:
            async with asyncio.timeout(self._statement_timeout), connection.transaction():
                await connection.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
                await connection.execute(BOOKKEEPING)
                cursor = await connection.execute(bind(IS_APPLIED, self.dialect), (migration.version,))
                if await cursor.fetchone():
                    return False
                for statement in migration.statements(self.dialect):
                    await connection.execute(statement)
                applied_at = format_instant(datetime.now(UTC))
                record = (migration.version, migration.name, applied_at)
                await connection.execute(bind(RECORD, self.dialect), record)
        except (psycopg.Error, TimeoutError, OSError) as exc:
            await self._fail(exc)
        return True

    async def applied_versions(self) -> list[int]:
        rows = await self.fetch("SELECT to_regclass('schema_migrations') IS NOT NULL AS present")
        if not rows[0]["present"]:
            return []
        return [int(row["version"]) for row in await self.fetch("SELECT version FROM schema_migrations")]

    async def close(self) -> None:
        await self._drop()

    async def _open(self) -> Connection:
        if self._connection is not None and not self._connection.closed:
            return self._connection
        try:
            self._connection = await psycopg.AsyncConnection.connect(
                self._url.reveal(),
                autocommit=True,  # transactions are explicit: connection.transaction()
                row_factory=dict_row,
                connect_timeout=max(2, math.ceil(self._timeout)),  # libpq's least useful value
                application_name="pagewire",
            )
        except (psycopg.Error, OSError) as exc:
            # `from None`: libpq may echo the connection string, password included, in its own message
            raise DatabaseUnavailable(f"{self.location}: {self._describe(exc)}") from None
        return self._connection

    async def _fail(self, exc: BaseException) -> NoReturn:
        message = f"{self.location}: {self._describe(exc)}"
        if isinstance(exc, psycopg.DataError | psycopg.IntegrityError):
            raise RowsRefused(message) from None
        await self._drop()  # a broken or timed-out connection is not reused; the next call reconnects
        if isinstance(exc, psycopg.ProgrammingError):
            raise StorageError(message) from None
        raise DatabaseUnavailable(message) from None

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with suppress(psycopg.Error, OSError, TimeoutError):
                async with asyncio.timeout(self._timeout):
                    await connection.close()

    def _describe(self, exc: BaseException) -> str:
        # the first line is the error; DETAIL and HINT lines may quote the rows' values
        lines = str(exc).strip().splitlines()
        return scrub(lines[0] if lines else type(exc).__name__, self._url)
