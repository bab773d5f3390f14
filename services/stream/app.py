"""The Faust application of `pagewire worker`, configured from Settings (broker, store, state, topics)."""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import faust
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP

from services.common.settings import Settings
from services.domain.errors import ConfigError

log = logging.getLogger(__name__)
_STORES = {"memory": "memory://", "rocksdb": "rocksdb://"}
_TOPIC_VISIBLE_TIMEOUT = 30.0  # seconds a topic the worker created may take to appear in the metadata


def make_app(settings: Settings, **overrides: Any) -> faust.App:
    """A Faust app whose id, changelog and repartition topics all live under the topic prefix."""
    try:
        store = _STORES[settings.worker.store]
    except KeyError as exc:
        raise ConfigError(f"PAGEWIRE_WORKER_STORE must be one of {sorted(_STORES)}") from exc
    prefix = settings.kafka.topic_prefix
    settings.worker.state_dir.mkdir(parents=True, exist_ok=True)  # Faust creates only the last level
    options: dict[str, Any] = {
        "broker": [f"kafka://{server.strip()}" for server in settings.kafka.bootstrap.split(",")],
        "store": store,
        "datadir": str(settings.worker.state_dir / _safe(prefix)),
        # changelog and internal topics: as many replicas as `pagewire topics create` gives the catalog's
        # (run_worker resolves 0, "auto", against the cluster before the app is made)
        "topic_replication_factor": settings.kafka.replication_factor or 1,
        "broker_session_timeout": settings.worker.session_timeout_seconds,
        # Faust refuses a session timeout above its request timeout (90 s) with a crash at start-up
        "broker_request_timeout": max(90.0, settings.worker.session_timeout_seconds),
        # other workers of the group keep a copy of each partition's tables, read from its changelog as
        # it is written: the one that takes the partition over (a crash, a scale-in) reads only the tail
        "table_standby_replicas": settings.worker.standbys,
        "topic_allow_declare": True,
        "web_enabled": False,
        "producer_acks": -1,
        "producer_max_request_size": settings.kafka.max_request_bytes,
        "consumer_max_fetch_size": settings.kafka.max_request_bytes,
        "producer_compression_type": None
        if settings.kafka.compression == "none"
        else settings.kafka.compression,
        "stream_wait_empty": False,
        # Bounded read-ahead: Faust's defaults (4,096 buffered events, every fetched record per poll) held
        # a backlog of 19 KB snapshots in memory, over 1 GB for 40,000; a few hundred keep the agent busy.
        "stream_buffer_maxsize": 256,
        "broker_max_poll_records": 256,
        # One snapshot sends a dozen outputs and as many changelog records (a ticker state is ~20 KB):
        # with Faust's linger 0 and 16 KB batches each went out in a request of its own. 5 ms, as the
        # pagewire producer lingers, and 256 KB batches cut the worker's CPU per snapshot by about a tenth.
        "producer_linger": 0.005,
        "producer_max_batch_size": 262_144,
        "table_cleanup_interval": 30.0,
        # A source topic made after the worker started (`pagewire topics create` run late), or partitions
        # added to it, reach the group at the consumer's next metadata refresh: 10 s instead of Kafka's 5 min
        "consumer_metadata_max_age_ms": 10_000,
    }
    options.update(overrides)
    app = faust.App(prefix + settings.worker.app_id, **options)
    # Faust makes its producer (changelogs and every output) from the app's transport
    app.transport = IdempotentTransport(
        app.conf.broker_consumer, app
    )  # Faust internal, see test_faust_internals
    return app


class IdempotentProducer(faust_aiokafka.Producer):
    """Faust's aiokafka producer, idempotent as DESIGN.md asks: a retried send is never written twice.

    Faust turns idempotence on only for exactly-once transactions; acks=all is already set above.
    `before_flush` runs first in every flush: Faust flushes before it commits offsets, so the worker
    hands over there what it held back (its table changelog, services/stream/changelog.py).
    """

    before_flush: Callable[[], Awaitable[None]] | None = None

    def _settings_extra(self) -> Mapping[str, Any]:  # Faust internal, see test_faust_internals
        return {**super()._settings_extra(), "enable_idempotence": True}

    async def flush(self) -> None:  # Faust internal, see test_faust_internals
        if self.before_flush is not None:
            await self.before_flush()
        await super().flush()

    async def create_topic(  # Faust internal, see test_faust_internals
        self, topic: str, partitions: int, replication: int, **options: Any
    ) -> None:
        """Faust's, then return once the brokers' metadata lists the topic.

        Faust creates the changelog topics just before the worker joins its group and refreshes its
        metadata once (faust-streaming #499); a new topic can take longer than that to appear. A group
        joined before then was assigned without the changelogs, and every event that wrote a table failed
        Faust's partition check (dead-lettered as an internal error) until the next metadata refresh, 10 s
        later: seen once in tests/integration/test_worker_history.py."""
        await super().create_topic(topic, partitions, replication, **options)
        if self.app.conf.topic_allow_declare:
            try:
                async with asyncio.timeout(_TOPIC_VISIBLE_TIMEOUT):
                    await self._ensure_producer().partitions_for(topic)
            except (TimeoutError, KafkaError) as exc:
                extra = {"topic": topic, "reason": type(exc).__name__}
                log.warning("created topic not listed yet", extra=extra)


def run_before_flush(app: faust.App, barrier: Callable[[], Awaitable[None]]) -> None:
    """Have `barrier` awaited at the start of every flush of the app's producer (made by make_app)."""
    producer = app.producer
    if not isinstance(producer, IdempotentProducer):
        raise TypeError(f"the app's producer is a {type(producer).__name__}, not made by make_app")
    producer.before_flush = barrier


class SeekingConsumer(faust_aiokafka.Consumer):
    """Faust's aiokafka consumer, handing no record to the streams while it seeks to the committed offsets.

    At the end of a table recovery faust-streaming (0.15) resumes the source partitions while the flow is
    already on (it was turned on to read the changelogs), and only then seeks them to their committed
    offsets: records fetched in between reach the agents while the seek moves the read offsets under
    them, and one can be skipped, acknowledged and committed without ever being processed (seen by the
    crash suite as a snapshot whose outputs and table changes were never made; faust-streaming issue
    216 is the same race on another path). So the flow stops for the seek, as it does for a rebalance:
    the record in hand is dropped and fetched again from the committed offset once the flow resumes.
    """

    async def perform_seek(self) -> None:  # Faust internal, see test_faust_internals
        flowing = self.flow_active
        if flowing:
            self.stop_flow()
        try:
            await super().perform_seek()
        finally:
            if flowing:
                self.resume_flow()

    async def seek_to_committed(self) -> Mapping[TP, int]:  # Faust internal, see test_faust_internals
        """What perform_seek (and Faust's getmany, when the flow stopped) seeks with: rewind_to_committed."""
        thread = self._thread
        committed: Mapping[TP, int] = await thread.call_thread(rewind_to_committed, thread._ensure_consumer())
        return committed


async def rewind_to_committed(consumer: AIOKafkaConsumer) -> dict[TopicPartition, int | None]:
    """Seek each assigned partition to the group's committed offset, or to its beginning where the group
    has committed none; returns the committed offsets (None: none), as aiokafka's seek_to_committed does.

    aiokafka's own leaves a partition without a commit where the fetcher left it. Faust seeks to the
    committed offsets to fetch again the records it dropped when its flow stopped (a rebalance, a seek),
    so on such a partition (a new group, a partition added) the dropped records were never processed."""
    committed: dict[TopicPartition, int | None] = await consumer.seek_to_committed()
    uncommitted = [tp for tp, offset in committed.items() if not offset]
    if uncommitted:
        # a seek to an offset, not seek_to_beginning: that one leaves the position unset until the next
        # fetch resolves it, and Faust's livelock check reads the position of every partition meanwhile
        # (an AssertionError that crashed the worker, seen in the scale-out test)
        for tp, offset in (await consumer.beginning_offsets(uncommitted)).items():
            consumer.seek(tp, offset)
    return committed


class IdempotentTransport(faust_aiokafka.Transport):
    Producer = IdempotentProducer  # Faust internal, see test_faust_internals
    Consumer = SeekingConsumer  # Faust internal, see test_faust_internals


def _safe(prefix: str) -> str:
    return prefix.strip(".").replace(".", "_") or "default"
