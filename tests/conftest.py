"""Fixtures for every tier: settings passed in (never patched), a private topic prefix on the real broker."""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from services.common.catalog import Catalog, load_catalog
from services.common.kafka import delete_topics, ensure_topics
from services.common.settings import Settings
from services.localkafka.host import answers
from tests.support.alert_sink import private_topics
from tests.support.receiver import Receiver, receiver

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "samples" / "seed.txt"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "reliability: the fault-injection suite (tests/reliability), run by scripts/reliability"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        # the fault-injection suite needs the same real services as tests/integration, and takes minutes
        if {"integration", "reliability"} & set(item.path.parts):
            item.add_marker(pytest.mark.integration)
        if "reliability" in item.path.parts:
            item.add_marker(pytest.mark.reliability)


@pytest.fixture(scope="session")
def test_prefix() -> str:
    """A topic prefix of this test session only, so runs never see each other's messages."""
    return f"pwtest-{uuid.uuid4().hex[:8]}."


@pytest.fixture(scope="session")
def test_env(test_prefix: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment a pagewire process under test gets: the real broker, a private prefix and home."""
    home = tmp_path_factory.mktemp("pagewire-home")
    return {
        "PAGEWIRE_KAFKA_BOOTSTRAP": os.environ.get("PAGEWIRE_KAFKA_BOOTSTRAP", "localhost:9092"),
        "PAGEWIRE_TOPIC_PREFIX": test_prefix,
        "PAGEWIRE_STATE_DIR": str(home / "state"),
        "PAGEWIRE_DATABASE_URL": f"sqlite:///{home / 'pagewire.db'}",
    }


@pytest.fixture(scope="session")
def settings(test_env: dict[str, str]) -> Settings:
    return Settings.load(test_env)


@pytest.fixture(scope="session")
def catalog(settings: Settings) -> Catalog:
    return load_catalog(settings.kafka.topic_prefix)


@pytest.fixture(scope="session")
async def kafka(settings: Settings, catalog: Catalog) -> AsyncIterator[Settings]:
    """The real broker with every catalog topic created under this session's prefix; removed afterwards."""
    if not await answers(settings.kafka.bootstrap):
        pytest.fail(
            f"no Kafka broker answers at {settings.kafka.bootstrap}: run the README's test command "
            "(scripts/test), or start one with `pagewire kafka up`",
            pytrace=False,
        )
    await ensure_topics(settings.kafka, catalog)
    yield settings
    if os.environ.get("PAGEWIRE_TESTS_KEEP_TOPICS"):
        return  # left on the broker to inspect a failure (the prefix is printed by the run's fixtures)
    names = [catalog.prefix + spec.name for spec in catalog.topics]
    await delete_topics(settings.kafka, names)
    await _delete_prefixed(settings, catalog.prefix)


async def _delete_prefixed(settings: Settings, prefix: str) -> None:
    """Also remove the internal topics Faust made (changelogs, repartitions) under the test prefix."""
    from services.common.kafka import admin

    client = admin(settings.kafka)
    await client.start()
    try:
        leftovers = [name for name in await client.list_topics() if name.startswith(prefix)]
        if leftovers:
            await client.delete_topics(leftovers)
    finally:
        await client.close()
    await asyncio.sleep(0)


@pytest.fixture
def seed_bytes() -> Iterator[bytes]:
    yield SEED.read_bytes()


@pytest.fixture
async def alert_env(kafka: Settings, test_env: dict[str, str]) -> AsyncIterator[dict[str, str]]:
    """An alert sink's environment: the real broker, fast retries, alerts/deliveries/deadletter topics of
    this test only."""
    async with private_topics(test_env) as private:
        yield private


@pytest.fixture
async def chat() -> AsyncIterator[Receiver]:
    """A real local chat receiver on 127.0.0.1 (random port) recording every request; scripts and hangs
    per path."""
    async with receiver() as server:
        yield server
