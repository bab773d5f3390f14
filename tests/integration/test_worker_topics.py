"""`pagewire worker` is not ready while the topics it reads and writes do not exist, says which and what
to run, and becomes ready and consumes once `pagewire topics create` made them, without a restart."""

import asyncio
import time
import uuid
from dataclasses import replace
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer

from services.common.catalog import load_catalog
from services.common.kafka import ensure_topics
from services.common.settings import Settings
from services.stream.app import make_app
from tests.support.worker import Worker, of_site, read_outputs, record, sample, send


async def not_ready_reason(worker: Worker, offset: int, timeout: float = 60.0) -> dict[str, object]:
    """The first /readyz answer of the worker launched at `offset` that names its missing topics."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            worker.url = worker.url_from_log(offset) or ""
            if worker.url:
                try:
                    answer = await client.get(worker.url + "/readyz")
                except httpx.TransportError:
                    answer = None
                if answer is not None and "missing" in answer.text:
                    assert answer.status_code == 503
                    body: dict[str, object] = answer.json()
                    return body
            await asyncio.sleep(0.2)
    raise AssertionError(f"the worker never said which topics are missing:\n{worker.tail()}")


async def test_a_worker_without_its_topics_says_so_and_starts_once_they_are_made(
    kafka: Settings, test_env: dict[str, str], tmp_path: Path
) -> None:
    prefix = f"{kafka.kafka.topic_prefix}late-{uuid.uuid4().hex[:4]}."  # removed with the session prefix
    catalog = load_catalog(prefix)
    worker = Worker({**test_env, "PAGEWIRE_TOPIC_PREFIX": prefix}, tmp_path / "worker.log")
    offset = await worker.launch()
    try:
        answer = await not_ready_reason(worker, offset)
        assert answer["ready"] is False
        assert answer["conditions"] == {
            "topics": False,
            "assigned": True,
            "recovered": True,
            "consuming": True,
        }
        assert answer["reason"] == (
            f"waiting for topics (missing {prefix}snapshots.raw, {prefix}snapshots.parsed, "
            f"{prefix}ticker.rows and 25 more: run `pagewire topics create`)"
        )
        assert worker.logged(offset, b'"event":"topics missing: run `pagewire topics create`"')

        await ensure_topics(kafka.kafka, catalog)
        await worker.wait_ready(offset, timeout=60)
        assert worker.logged(offset, b'"event":"topics present"')

        settings = Settings.load({**test_env, "PAGEWIRE_TOPIC_PREFIX": prefix})
        await send(settings, [record(sample("late.example", "replay/20250219T060000Z.txt"))])
        found = await read_outputs(
            settings.kafka,
            catalog,
            ["snapshots.parsed"],
            lambda outputs: len(of_site(outputs, "snapshots.parsed", "late.example")) >= 1,
        )
        assert [output.value["site"] for output in found] == ["late.example"]
    finally:
        assert await worker.stop() == 0, worker.tail()


async def test_a_topic_the_worker_creates_is_listed_by_the_brokers_once_creation_returns(
    kafka: Settings, tmp_path: Path
) -> None:
    """What the worker's group is assigned from: its changelog topics, created by Faust just before the
    group is joined, are in the metadata a client then fetches (services/stream/app.py)."""
    settings = replace(kafka, worker=replace(kafka.worker, store="memory", state_dir=tmp_path))
    app = make_app(settings)
    name = f"{kafka.kafka.topic_prefix}created-{uuid.uuid4().hex[:6]}.worker-site-changelog"
    await app.producer.start()
    try:
        await app.producer.create_topic(name, 6, 1, compacting=True)
        reader = AIOKafkaConsumer(bootstrap_servers=kafka.kafka.bootstrap)
        await reader.start()
        try:
            assert name in await reader.topics()  # the brokers' metadata, fetched afresh
        finally:
            await reader.stop()
    finally:
        await app.producer.stop()
