"""Versioned schema migrations: modules named mNNNN_<name>.py, applied in order and recorded once each."""

import importlib
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass

from services.domain.errors import ConfigError
from services.sinks.storage.tables import Dialect

_MODULE = re.compile(r"^m(\d{4})_(\w+)$")

# The bookkeeping every adapter runs inside each migration's transaction, before looking at the version.
BOOKKEEPING = (
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
)
IS_APPLIED = "SELECT 1 FROM schema_migrations WHERE version = ?"
RECORD = "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"


@dataclass(frozen=True)
class Migration:
    """One schema version: `statements(dialect)` gives its DDL, the same on both dialects but for types."""

    version: int
    name: str
    statements: Callable[[Dialect], tuple[str, ...]]


def discover() -> tuple[Migration, ...]:
    """Every migration module of this package, in version order; versions must run 1, 2, 3... without gaps."""
    found: list[Migration] = []
    for module in pkgutil.iter_modules(__path__):
        match = _MODULE.match(module.name)
        if match is None:
            raise ConfigError(f"migration module {module.name!r} is not named mNNNN_<name>")
        loaded = importlib.import_module(f"{__name__}.{module.name}")
        found.append(Migration(int(match.group(1)), match.group(2), loaded.statements))
    found.sort(key=lambda migration: migration.version)
    versions = [migration.version for migration in found]
    if versions != list(range(1, len(found) + 1)):
        raise ConfigError(f"migration versions must be 1..{len(found)} without gaps, found {versions}")
    return tuple(found)
