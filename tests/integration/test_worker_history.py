"""A pair's rate history in a real worker: kept in chunks, old ones deleted, the same after a restart."""

from collections.abc import Callable
from pathlib import Path

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from services.common.settings import Settings
from services.domain.messages import rate_delta_message
from services.domain.ticker.dedupe import observe_ticker
from services.domain.ticker.records import RUNS_PER_CHUNK
from services.domain.ticker.rows import TickerObservation, TickerState
from services.domain.ticker.rules import StreamRules
from tests.conftest import SEED
from tests.support.worker import Output, Worker, of_site, own_topics, read_outputs, record, send, snapshot

SITE = "history.example"
LIMIT = 4  # runs kept per pair: a few dozen rate changes fill and drop several chunks
CHANGES = 40


def page(number: int) -> tuple[bytes, str, str]:
    """The seed with KGS/USD moved to a rate of its own: (body, rate, fetched_at), a minute apart."""
    rate = f"{(1144 + number % 7 - 3 * (number % 2)) / 100_000:.5f}"
    fetched_at = f"2025-02-19T{6 + number // 60:02d}:{number % 60:02d}:00Z"
    return SEED.read_bytes().replace(b"KGS/USD = 0.01144", f"KGS/USD = {rate}".encode()), rate, fetched_at


def expected_deltas(count: int) -> list[dict[str, object]]:
    """The deltas of KGS/USD for pages 0..count-1, computed by the domain rule without a worker."""
    rules = StreamRules.parse(history_limit=LIMIT)
    state: TickerState | None = None
    deltas = []
    for number in range(count):
        body, rate, fetched_at = page(number)
        item = snapshot(SITE, fetched_at, body)
        row = TickerObservation(
            SITE, "KGS/USD", "KGS", "USD", rate, "0", item.fetched_at, item.snapshot_id, item.source_url
        )
        outcome = observe_ticker(state, row, rules)
        state = outcome.state
        if outcome.delta is not None:
            deltas.append(rate_delta_message(outcome.delta))
    return deltas


async def live_ticker_keys(settings: Settings, topic: str) -> dict[str, bytes | None]:
    """The ticker table's changelog as a compacted topic reads back: the last value of every key."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka.bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        assert partitions, f"no changelog topic {topic}"
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        last: dict[str, bytes | None] = {}
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            for messages in (await consumer.getmany(timeout_ms=500)).values():
                for message in messages:
                    last[orjson.loads(message.key)] = message.value
        return last
    finally:
        await consumer.stop()


async def test_a_long_history_is_chunked_pruned_and_read_back_after_a_restart(
    kafka: Settings, test_env: dict[str, str], tmp_path: Path
) -> None:
    own = await own_topics(kafka, "history")
    env = {**test_env, **own.env, "PAGEWIRE_HISTORY_LIMIT": str(LIMIT)}
    worker = Worker(env, tmp_path / "worker.log")

    def pages(numbers: range) -> list[tuple[bytes, bytes]]:
        return [record(snapshot(SITE, page(n)[2], page(n)[0])) for n in numbers]

    def parsed(count: int) -> Callable[[list[Output]], bool]:
        return lambda found: len(of_site(found, "snapshots.parsed", SITE)) >= count

    await worker.start()
    try:
        await send(own.settings, pages(range(CHANGES)))
        await read_outputs(kafka.kafka, own.catalog, ["snapshots.parsed"], parsed(CHANGES))
    finally:
        assert await worker.stop() == 0, worker.tail()
    await worker.start()  # the memory store: everything comes back from the changelog
    try:
        await send(own.settings, pages(range(CHANGES, CHANGES + 3)))
        found = await read_outputs(
            kafka.kafka, own.catalog, ["snapshots.parsed", "rates.deltas"], parsed(CHANGES + 3)
        )
    finally:
        assert await worker.stop() == 0, worker.tail()

    deltas = [o.value for o in of_site(found, "rates.deltas", SITE) if o.value["pair"] == "KGS/USD"]
    assert deltas == expected_deltas(CHANGES + 3)  # byte for byte what the rule gives, restart or not
    changelog = f"{own.prefix}{own.settings.worker.app_id}-ticker-changelog"
    keys = await live_ticker_keys(own.settings, changelog)
    chunks = {key: value for key, value in keys.items() if key.startswith(f"{SITE}|KGS/USD#")}
    assert any(value is None for value in chunks.values())  # old chunks were deleted (tombstones)
    live = [key for key, value in chunks.items() if value is not None]
    assert 1 <= len(live) <= LIMIT // RUNS_PER_CHUNK + 2
