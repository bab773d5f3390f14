"""The SQLite adapter: one WAL-mode connection owned by one worker thread, so the event loop never blocks."""

import asyncio
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter
from typing import Any, TypeVar

from services.domain.instants import format_instant
from services.sinks.storage.database import TRANSACTION, DatabaseUnavailable, RowsRefused, Timings
from services.sinks.storage.migrations import BOOKKEEPING, IS_APPLIED, RECORD, Migration
from services.sinks.storage.sql import Statement
from services.sinks.storage.tables import Dialect

T = TypeVar("T")
# The data itself is wrong; anything else (locked, read-only, disk full, I/O) may pass: retry it.
_REFUSED = (sqlite3.IntegrityError, sqlite3.DataError, OverflowError)


class SqliteDatabase:
    """pagewire's tables in one SQLite file."""

    dialect: Dialect = "sqlite"

    def __init__(self, path: Path, *, timeout: float = 5.0, create: bool = True) -> None:
        self._path = path
        self._timeout = timeout
        self._create = create
        self._connection: sqlite3.Connection | None = None
        # sqlite3 connections belong to the thread that made them: one thread does all the work
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pagewire-sqlite")
        self._closed = False

    @property
    def location(self) -> str:
        return str(self._path)

    async def connect(self) -> None:
        await self._run(self._open)

    async def execute(self, statements: Sequence[Statement]) -> Timings:
        return await self._run(self._execute, statements)

    async def fetch(self, sql: str, params: Sequence[object] = ()) -> list[dict[str, Any]]:
        return await self._run(self._fetch, sql, params)

    async def apply_migration(self, migration: Migration) -> bool:
        return await self._run(self._apply, migration)

    async def applied_versions(self) -> list[int]:
        return await self._run(self._applied_versions)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await asyncio.get_running_loop().run_in_executor(self._thread, self._drop)
        self._thread.shutdown(wait=False)

    async def _run(self, work: Callable[..., T], *args: Any) -> T:
        if self._closed:
            raise DatabaseUnavailable(f"{self.location}: the database is closed")
        # a cancelled caller does not stop the thread: the transaction still commits or rolls back whole
        return await asyncio.get_running_loop().run_in_executor(self._thread, work, *args)

    def _open(self) -> sqlite3.Connection:
        if self._connection is not None:
            return self._connection
        if not self._create and not self._path.exists():
            raise DatabaseUnavailable(f"{self.location}: no such database file")
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self._path, timeout=self._timeout, isolation_level=None)
        except (sqlite3.Error, OSError) as exc:
            raise DatabaseUnavailable(f"{self.location}: {exc}") from exc
        try:
            connection.row_factory = sqlite3.Row
            connection.execute("PRAGMA journal_mode = WAL")
            # FULL: a committed batch survives a power cut; its offsets are committed right after
            connection.execute("PRAGMA synchronous = FULL")
            connection.execute("PRAGMA foreign_keys = ON")
        except sqlite3.Error as exc:
            connection.close()
            raise DatabaseUnavailable(f"{self.location}: {exc}") from exc
        self._connection = connection
        return connection

    def _drop(self) -> None:
        if self._connection is not None:
            with suppress(sqlite3.Error):
                self._connection.close()
            self._connection = None

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        connection = self._open()
        try:
            # IMMEDIATE takes the write lock up front, so a busy database fails here, before any work
            connection.execute("BEGIN IMMEDIATE")
            yield connection
            connection.execute("COMMIT")
        except BaseException as exc:
            if connection.in_transaction:
                with suppress(sqlite3.Error):
                    connection.execute("ROLLBACK")
            if isinstance(exc, _REFUSED):
                raise RowsRefused(f"{self.location}: {exc}") from exc
            if not isinstance(exc, sqlite3.Error):
                raise
            if not isinstance(exc, sqlite3.OperationalError):
                self._drop()  # e.g. a replaced or corrupt file: open it afresh next time
            raise DatabaseUnavailable(f"{self.location}: {exc}") from exc

    def _execute(self, statements: Sequence[Statement]) -> Timings:
        timings: Timings = defaultdict(float)
        started = perf_counter()
        with self._transaction() as connection:
            for statement in statements:
                began = perf_counter()
                connection.executemany(statement.sql, statement.params)
                timings[statement.table] += perf_counter() - began
        timings[TRANSACTION] = perf_counter() - started
        return dict(timings)

    def _fetch(self, sql: str, params: Sequence[object]) -> list[dict[str, Any]]:
        connection = self._open()
        try:
            return [dict(row) for row in connection.execute(sql, tuple(params))]
        except sqlite3.Error as exc:
            raise DatabaseUnavailable(f"{self.location}: {exc}") from exc

    def _apply(self, migration: Migration) -> bool:
        with self._transaction() as connection:
            connection.execute(BOOKKEEPING)
            if connection.execute(IS_APPLIED, (migration.version,)).fetchone():
                return False
            for statement in migration.statements(self.dialect):
                connection.execute(statement)
            applied_at = format_instant(datetime.now(UTC))
            connection.execute(RECORD, (migration.version, migration.name, applied_at))
        return True

    def _applied_versions(self) -> list[int]:
        present = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        versions = "SELECT version FROM schema_migrations ORDER BY version"
        try:
            connection = self._open()
            if connection.execute(present).fetchone() is None:
                return []
            return [int(row[0]) for row in connection.execute(versions)]
        except sqlite3.Error as exc:
            raise DatabaseUnavailable(f"{self.location}: {exc}") from exc
