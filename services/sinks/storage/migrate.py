"""The migrations runner: brings a database to the newest schema, one transaction per pending version."""

import logging
from collections.abc import Sequence

from services.domain.errors import StorageError
from services.sinks.storage.database import Database
from services.sinks.storage.migrations import Migration, discover

log = logging.getLogger(__name__)


async def migrate(database: Database, migrations: Sequence[Migration] | None = None) -> list[int]:
    """Apply every migration the database lacks, in version order; the versions applied by this call.

    Safe to run any number of times and from several processes at once: each adapter checks and records a
    version inside the transaction that applies it, under a lock.
    """
    applied: list[int] = []
    for migration in discover() if migrations is None else migrations:
        if await database.apply_migration(migration):
            log.info("schema migrated", extra={"version": migration.version, "migration": migration.name})
            applied.append(migration.version)
    return applied


async def require_current(database: Database) -> None:
    """StorageError unless the database has every migration, for commands that read without migrating."""
    have = await database.applied_versions()
    want = [migration.version for migration in discover()]
    if not have:
        raise StorageError(
            f"{database.location} has no pagewire tables yet: run `pagewire sink storage` first"
        )
    if have[-1] > want[-1]:
        raise StorageError(
            f"{database.location} is at schema version {have[-1]}, newer than this pagewire's {want[-1]}: "
            "upgrade pagewire"
        )
    if have != want:
        raise StorageError(
            f"{database.location} is at schema version {have[-1]}, this pagewire needs {want[-1]}: "
            "run `pagewire sink storage` to upgrade it"
        )
