"""Storage fixtures: a fresh database per test on each adapter, a way to take it down, and private topics."""

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.common.catalog import load_catalog
from services.common.kafka import ensure_topics
from services.common.settings import Settings
from services.sinks.storage.connect import open_database
from services.sinks.storage.database import Database
from tests.support.databases import Target, postgres_target, sqlite_target

#: the topics the storage sink stores, from the catalog
STORED_TOPICS = load_catalog().stored

__all__ = ["Target"]


@pytest.fixture(params=["sqlite", "postgresql"])
async def target(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Target]:
    if request.param == "sqlite":
        yield sqlite_target(tmp_path / "pagewire.db")
        return
    async with postgres_target() as database:
        yield database


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
