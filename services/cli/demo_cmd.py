"""`pagewire demo`: replay the bundled snapshots through the pipeline and show what came out of Kafka."""

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

import click
from rich.console import Console

from services.common import codec
from services.common.catalog import Catalog, load_catalog
from services.common.kafka import admin, ensure_topics, producer, read_to_end
from services.common.paths import REPO_ROOT
from services.common.settings import Settings
from services.domain.snapshot import Snapshot

DEMO_PREFIX = "pagewire-demo."
SEED = REPO_ROOT / "samples" / "seed.txt"


@click.command("demo")
@click.pass_obj
def command(settings: Settings) -> None:
    """Send the bundled seed page through Kafka under the 'pagewire-demo.' prefix and print the result."""
    demo = replace(settings, kafka=replace(settings.kafka, topic_prefix=DEMO_PREFIX))
    asyncio.run(_run(demo, Console()))


async def _run(settings: Settings, console: Console) -> None:
    catalog = load_catalog(settings.kafka.topic_prefix)
    await _fresh_topics(settings, catalog)
    snapshot = Snapshot(
        body=SEED.read_bytes(),
        source_url=SEED.resolve().as_uri(),
        site="timesca.com",
        fetched_at=datetime(2025, 2, 19, 6, 0, tzinfo=UTC),
        content_type="text/plain",
        charset="utf-8",
    )
    raw_topic = catalog.name("snapshots.raw")
    client = producer(settings.kafka)
    await client.start()
    try:
        await client.send_and_wait(
            raw_topic, codec.encode(snapshot.to_envelope()), key=snapshot.site.encode()
        )
    finally:
        await client.stop()
    console.rule(f"[bold]{raw_topic}")
    for record in await read_to_end(settings.kafka, raw_topic):
        envelope = codec.decode(record.value, "pagewire.snapshot/1")
        console.print(
            f"key={(record.key or b'').decode()} snapshot_id={envelope['snapshot_id'][:12]}… "
            f"size={envelope['size']} fetched_at={envelope['fetched_at']} source={envelope['source_url']}"
        )


async def _fresh_topics(settings: Settings, catalog: Catalog) -> None:
    """Each demo run starts from empty topics, so running it twice shows the same thing."""
    client = admin(settings.kafka)
    await client.start()
    try:
        stale = [name for name in await client.list_topics() if name.startswith(catalog.prefix)]
        if stale:
            await client.delete_topics(stale)
            await _wait_gone(client, set(stale))
    finally:
        await client.close()
    await ensure_topics(settings.kafka, catalog)


async def _wait_gone(client: object, names: set[str]) -> None:
    for _ in range(100):
        present = set(await client.list_topics())  # type: ignore[attr-defined]
        if not names & present:
            return
        await asyncio.sleep(0.2)
