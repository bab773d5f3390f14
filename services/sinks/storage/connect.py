"""The database PAGEWIRE_DATABASE_URL names: a SQLite file (the default) or a PostgreSQL server."""

from pathlib import Path
from urllib.parse import urlsplit

from services.common.settings import Settings
from services.domain.errors import ConfigError
from services.sinks.storage.database import Database
from services.sinks.storage.postgres import PostgresDatabase
from services.sinks.storage.sqlite import SqliteDatabase

_SQLITE = "sqlite:///"
DEFAULT_FILE = "pagewire.db"


def sqlite_path(url: str, home: Path) -> Path:
    """sqlite:///relative.db or sqlite:////absolute.db, as SQLAlchemy spells them; empty: the default file."""
    if not url:
        return home / DEFAULT_FILE
    path = url[len(_SQLITE) :]
    if not url.startswith(_SQLITE) or not path:
        raise ConfigError("PAGEWIRE_DATABASE_URL: a SQLite URL is sqlite:///path/to/file.db")
    return Path(path).expanduser()


def open_database(settings: Settings, *, create: bool = True) -> Database:
    """The configured database's adapter, not yet connected; `create=False` never makes a SQLite file."""
    url = settings.storage.database_url
    scheme = urlsplit(url.reveal()).scheme
    timeout = settings.storage.connect_timeout_seconds
    if scheme in {"postgresql", "postgres"}:
        return PostgresDatabase(url, timeout=timeout)
    if scheme in {"sqlite", ""}:
        path = sqlite_path(url.reveal(), settings.local_kafka.home)
        return SqliteDatabase(path, timeout=timeout, create=create)
    raise ConfigError(
        f"PAGEWIRE_DATABASE_URL: unsupported scheme {scheme!r}; use sqlite:/// or postgresql://"
    )
