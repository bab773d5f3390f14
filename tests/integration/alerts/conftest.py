"""Alert sink fixtures: private alerts, deliveries and deadletter topics per test; a real local receiver."""

from collections.abc import AsyncIterator

import pytest

from services.common.settings import Settings
from tests.support.alert_sink import private_topics
from tests.support.receiver import Receiver, receiver


@pytest.fixture
async def env(kafka: Settings, test_env: dict[str, str]) -> AsyncIterator[dict[str, str]]:
    """The sink's environment: the real broker, fast retry settings, topics of this test only."""
    async with private_topics(test_env) as private:
        yield private


@pytest.fixture
async def chat() -> AsyncIterator[Receiver]:
    """A receiver on 127.0.0.1 (random port) that records every request; scripts and hangs per path."""
    async with receiver() as server:
        yield server
