"""The database port both adapters implement, and its two kinds of failure: retry later, or never."""

from collections.abc import Sequence
from typing import Any, Protocol
from urllib.parse import urlsplit

from services.common.settings import Secret
from services.domain.errors import StorageError
from services.sinks.storage.migrations import Migration
from services.sinks.storage.sql import Statement
from services.sinks.storage.tables import Dialect

# seconds spent per table in one transaction, plus the whole transaction (commit included) under "all"
Timings = dict[str, float]
TRANSACTION = "all"


class DatabaseUnavailable(StorageError):
    """The database cannot be reached or cannot write now (down, locked, full): hold on and retry."""

    reason = "database_unavailable"


class RowsRefused(StorageError):
    """The database refuses the data itself (a constraint, a value out of range): retrying cannot help."""

    reason = "unstorable"


class Database(Protocol):
    """A SQLite or PostgreSQL database holding pagewire's tables."""

    dialect: Dialect

    @property
    def location(self) -> str:
        """Where the database is, printable: never a password."""

    async def connect(self) -> None:
        """Open the connection now (DatabaseUnavailable when it cannot); later calls reconnect on demand."""

    async def execute(self, statements: Sequence[Statement]) -> Timings:
        """Run `statements` in one transaction, all or nothing."""

    async def fetch(self, sql: str, params: Sequence[object] = ()) -> list[dict[str, Any]]:
        """Rows of one query written with `?` placeholders, as column -> value."""

    async def apply_migration(self, migration: Migration) -> bool:
        """Apply `migration` unless it already is, in one transaction; True when it applied it now."""

    async def applied_versions(self) -> list[int]:
        """Versions recorded in schema_migrations, ascending; empty when the database has no tables yet."""

    async def close(self) -> None:
        """Close the connection; safe to call more than once."""


def scrub(text: str, url: Secret) -> str:
    """An error text without the URL's password, for logs and dead letters."""
    password = urlsplit(url.reveal()).password
    return text.replace(password, "****") if password else text
