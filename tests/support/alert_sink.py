"""Alert sink test helpers: private topics per test, alerts to publish, destinations, a running sink."""

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import yaml

from services.common import codec
from services.common.catalog import load_catalog
from services.common.kafka import delete_topics, ensure_topics
from services.common.settings import Settings
from services.sinks.alerts.destinations_file import Target, load_targets
from services.sinks.alerts.sink import AlertSink
from tests.support.alerts import alert
from tests.support.kafka import read_topic, send

TOPICS = ("alerts", "alerts.deliveries", "deadletter")
# fast retries, quick polls and lag reports; each test sets the deadlines it exercises
FAST = {
    "PAGEWIRE_ALERT_SINK_BACKOFF_BASE": "0.05",
    "PAGEWIRE_ALERT_SINK_BACKOFF_MAX": "0.4",
    "PAGEWIRE_ALERT_SINK_RATE_LIMIT": "50",
    "PAGEWIRE_ALERT_SINK_CONNECT_TIMEOUT": "1",
    "PAGEWIRE_ALERT_SINK_TIMEOUT": "5",
    "PAGEWIRE_ALERT_SINK_DEADLINE": "30",
    "PAGEWIRE_ALERT_SINK_POLL_TIMEOUT": "0.2",
    "PAGEWIRE_LAG_INTERVAL": "0.5",
}


@asynccontextmanager
async def private_topics(test_env: Mapping[str, str]) -> AsyncIterator[dict[str, str]]:
    """The environment of a sink with its own alerts, deliveries and deadletter topics, removed after.

    Every test gets fresh topics: destinations start from the earliest offset, so alerts another test
    published would reach them too.
    """
    prefix = f"{test_env['PAGEWIRE_TOPIC_PREFIX']}a{uuid.uuid4().hex[:6]}."
    env = {**test_env, **FAST, "PAGEWIRE_TOPIC_PREFIX": prefix}
    settings = Settings.load(env)
    catalog = load_catalog(prefix)
    await ensure_topics(settings.kafka, catalog, [catalog.spec(name) for name in TOPICS])
    try:
        yield env
    finally:
        await delete_topics(settings.kafka, [catalog.name(name) for name in TOPICS])


def make_alert(tag: str, n: int, **overrides: Any) -> dict[str, Any]:
    """The schema example with its own id (and any field overridden); valid."""
    alert_id = hashlib.sha256(f"{tag}-{n}".encode()).hexdigest()[:32]
    return alert(alert_id=alert_id, **overrides)


async def publish(settings: Settings, items: Iterable[dict[str, Any] | bytes]) -> None:
    """Alerts (or raw bytes, for bad input) on the alerts topic, in order, all keyed like the first group."""
    messages = [
        (
            (item["group_key"] if isinstance(item, dict) else "move-1h|timesca.com|KGS/USD").encode(),
            codec.encode(item) if isinstance(item, dict) else item,
        )
        for item in items
    ]
    await send(settings.kafka, topic(settings, "alerts"), messages)


def write_destinations(folder: Path, destinations: Mapping[str, Mapping[str, Any]]) -> Path:
    path = folder / f"destinations-{uuid.uuid4().hex[:6]}.yaml"
    path.write_text(yaml.safe_dump({"destinations": {name: dict(d) for name, d in destinations.items()}}))
    return path


def targets(
    settings: Settings, folder: Path, destinations: Mapping[str, Mapping[str, Any]], env: Mapping[str, str]
) -> tuple[Target, ...]:
    """Destinations through the real file path: written as YAML, read back, URLs from `env`."""
    return load_targets(write_destinations(folder, destinations), settings.alert_sink, env)


@asynccontextmanager
async def running(settings: Settings, chosen: tuple[Target, ...]) -> AsyncIterator[AlertSink]:
    """An AlertSink running on this loop, ready (producer and every consumer started), stopped after."""
    sink = AlertSink(settings, chosen)
    task = asyncio.create_task(sink.run())
    try:
        async with asyncio.timeout(30):
            while not sink.readiness().ready:
                if task.done():
                    await task
                await asyncio.sleep(0.05)
        yield sink
    finally:
        sink.stop()
        await asyncio.wait_for(task, 30)


def topic(settings: Settings, name: str) -> str:
    return load_catalog(settings.kafka.topic_prefix).name(name)


async def messages(settings: Settings, name: str, expect: int, idle: float = 1.0) -> list[dict[str, Any]]:
    """The decoded messages on one of the sink's topics, once `expect` arrived (and `idle` more seconds)."""
    records = await read_topic(settings.kafka, topic(settings, name), expect=expect, idle=idle)
    schema = load_catalog(settings.kafka.topic_prefix).spec(name).value
    return [codec.decode(record.value, schema) for record in records]


def by_destination(deliveries: Iterable[dict[str, Any]], destination: str) -> list[dict[str, Any]]:
    return [delivery for delivery in deliveries if delivery["destination"] == destination]
