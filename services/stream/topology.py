"""The worker's Faust topology: the snapshot agent, the staleness timer and tick agent, tables, readiness."""

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

import faust
from aiokafka.errors import KafkaError

from services.common.alert_rules_file import read_rules_file
from services.common.catalog import load_catalog
from services.common.kafka import missing_topics
from services.common.metrics import ASSIGNED_PARTITIONS, REBALANCES, STANDBY_PARTITIONS
from services.common.observe import Readiness
from services.common.settings import Settings
from services.common.taxonomy_file import load_taxonomy
from services.stream.app import make_app, run_before_flush
from services.stream.changelog import DeferredChangelog
from services.stream.lag import report_lag, report_standby_lag
from services.stream.local_state import LocalState, open_local_state
from services.stream.recovery import RecoveryReport
from services.stream.sending import SendBatch
from services.stream.stages import build_stages
from services.stream.tables import Tables

log = logging.getLogger(__name__)

#: ticks only say "check now"; an old one is worth nothing
_TICK_RETENTION = timedelta(hours=1)


@dataclass(frozen=True)
class Topology:
    """The configured app, what /readyz reports, how its local tables were found, and its held table
    changes (what a clean stop must have written)."""

    app: faust.App
    readiness: Readiness
    local_state: LocalState
    changelog: DeferredChangelog


def build_topology(settings: Settings, **app_overrides: Any) -> Topology:
    """Everything `pagewire worker` runs; data files are read and checked here, once, not per message."""
    catalog = load_catalog(settings.kafka.topic_prefix)
    rules = settings.worker.stream_rules()
    # a rule over a window the worker does not compute would never fire: refused at start
    alert_rules = read_rules_file(settings.worker.alert_rules, [window.name for window in rules.windows])
    taxonomy = load_taxonomy()
    app = make_app(settings, **app_overrides)
    partitions = catalog.spec("snapshots.raw").partitions
    source = catalog.name("snapshots.raw")

    # before any table opens its files: those a crash may have left ahead of Kafka are removed here
    local_state = open_local_state(settings.worker.store, app.conf.datadir, app.conf.tabledir)
    changelog = DeferredChangelog(batch_events=settings.worker.changelog_batch_events)
    recovery = RecoveryReport(local_state, changelog)
    stages = build_stages(
        rules=rules,
        alert_rules=alert_rules,
        taxonomy=taxonomy,
        catalog=catalog,
        tables=faust_tables(app, partitions, changelog),
        max_body_bytes=settings.producer.max_body_bytes,
        validate_outputs=settings.worker.validate_outputs,
    )
    snapshots, staleness, clocks = stages.snapshots, stages.staleness, stages.clocks
    # the snapshot agent hands its outputs over a batch of waiting events at a time, the staleness agent
    # each check's at once (services/stream/sending.py)
    batch = SendBatch(
        app.producer, stages.snapshot_outputs, changelog, max_events=settings.worker.send_batch_events
    )
    checks = SendBatch(app.producer, stages.tick_outputs, changelog, max_events=1)

    async def send_held() -> None:
        await batch.send()
        await checks.send()

    async def flush_all() -> None:
        await changelog.release_all(send_held)

    # Faust commits offsets right after it flushes the producer: every held output and table change goes
    # out first
    run_before_flush(app, flush_all)
    readiness = Readiness("topics", "assigned", "recovered", "consuming")
    topics = TopicsCheck(
        settings, [catalog.name(name) for name in ("snapshots.raw", *catalog.written_by("worker"))]
    )

    raw_topic = app.topic(source, key_serializer="raw", value_serializer="raw")
    # Faust-owned like the changelogs, and co-partitioned with snapshots.raw: same partition count
    tick_topic = app.topic(
        f"{app.conf.id}-staleness-ticks",
        partitions=partitions,
        internal=True,
        retention=_TICK_RETENTION,
        key_serializer="raw",
        value_serializer="raw",
    )
    ticks = tick_topic.get_topic_name()

    @app.agent(raw_topic, name="snapshots")
    async def process_snapshots(stream: Any) -> None:
        # Faust internal: tests/contract/test_faust_internals.py (the stream's buffer is its channel's queue)
        waiting = stream.channel.queue
        async for event in stream.events():
            # every table read and write of the event first, without an await in between
            snapshots.handle(event.message)
            batch.handled()
            await batch.send_unless_more(waiting)

    @app.agent(tick_topic, name="staleness")
    async def check_staleness(stream: Any) -> None:
        async for event in stream.events():
            staleness.check(event.message.partition)
            checks.handled()
            await checks.send_and_release()

    async def send_ticks() -> None:
        # Faust internal: tests/contract/test_faust_internals.py (assigned_actives)
        for partition in sorted(tp.partition for tp in app.assignor.assigned_actives() if tp.topic == ticks):
            tick_topic.send_soon(key=b"tick", value=b"", partition=partition)

    async def measure_lag() -> None:
        await report_lag(app, source)
        await report_standby_lag(app)

    async def check_topics() -> None:
        # the consumer subscribes to the source by name, and sees a topic made after its start only at its
        # next metadata refresh (make_app: consumer_metadata_max_age_ms); not ready until it has
        await topics.check(readiness, seen=consumer_knows(app, source))

    async def consuming() -> None:
        # Faust starts app tasks once table recovery is over and the streams resume
        readiness.set("consuming")

    # mode signals call receivers as (sender, *args, signal=..., **kwargs)
    def on_assigned(_: Any, assigned: set[Any], **__: Any) -> None:
        REBALANCES.inc()
        readiness.set("assigned")
        recovery.assigned()
        log.info("partitions assigned", extra={"partitions": _partitions_of(assigned, source)})

    def on_revoked(_: Any, revoked: set[Any], **__: Any) -> None:
        readiness.set("recovered", False)
        stages.revoke(_partitions_of(revoked, source))

    def on_recovered(_: Any, **__: Any) -> None:
        clocks.recovered()
        owned = _partitions_of(app.assignor.assigned_actives(), source)
        ASSIGNED_PARTITIONS.set(len(owned))
        STANDBY_PARTITIONS.set(
            len(app.assignor.assigned_standbys())
        )  # Faust internal, see test_faust_internals
        recovery.recovered(owned)
        readiness.set("recovered")

    app.timer(settings.worker.staleness_interval_seconds)(send_ticks)
    app.timer(settings.observability.lag_interval_seconds)(measure_lag)
    app.timer(settings.observability.lag_interval_seconds)(check_topics)
    app.task(check_topics)  # at once too: the timer's first run is one interval after the start
    app.task(consuming)
    # mode's handler type (VarArg plus NamedArg) matches no function under mypy, hence the cast
    cast(Any, app.on_partitions_assigned).connect(on_assigned)
    cast(Any, app.on_partitions_revoked).connect(on_revoked)
    cast(Any, app.on_rebalance_complete).connect(on_recovered)
    return Topology(app, readiness, local_state, changelog)


class TopicsCheck:
    """Whether the topics the worker reads and writes exist: without them it is not ready, whatever Faust
    says, and the log names the command that makes them (once per change, not per check)."""

    def __init__(self, settings: Settings, names: list[str]) -> None:
        self._settings = settings
        self._names = names
        self._missing: list[str] | None = None

    async def check(self, readiness: Readiness, *, seen: bool) -> None:
        """`seen`: whether the worker's consumer has the source topic in its metadata yet."""
        try:
            missing = await missing_topics(self._settings.kafka, self._names)
        except KafkaError as exc:
            log.warning("topics not checked", extra={"reason": type(exc).__name__})
            return
        if missing:
            shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
            readiness.set("topics", False, f"missing {shown}: run `pagewire topics create`")
            if missing != self._missing:
                log.error("topics missing: run `pagewire topics create`", extra={"missing": missing})
            self._missing = missing
        elif not seen:
            # made, not yet consumed: "present" is logged once the consumer has them too
            readiness.set("topics", False, f"{self._names[0]} made, not yet seen by the consumer")
        else:
            readiness.set("topics")
            if self._missing:
                log.info("topics present", extra={"topics": len(self._names)})
            self._missing = []


def consumer_knows(app: faust.App, topic: str) -> bool:
    """Whether the worker's Kafka consumer has `topic` in its cluster metadata (and so will consume it).

    Asked of the client's own metadata: Faust's `topic_partitions` reads the group coordinator's snapshot,
    which only the group's leader keeps, so in a group of several workers the others never saw the topic.
    """
    thread = cast(Any, app.consumer)._thread  # Faust internal, see test_faust_internals
    consumer = thread._consumer
    return consumer is not None and bool(consumer._client.cluster.partitions_for_topic(topic))


def faust_tables(app: faust.App, partitions: int, changelog: DeferredChangelog) -> Tables:
    """The stages' tables as Faust tables co-partitioned with snapshots.raw. Keys and values travel as JSON,
    Faust's default for tables; changelog and local store writes wait for the outputs of their event
    (services/stream/changelog.py)."""
    made = {
        name: changelog.table(app, name, partitions=partitions, help=help_text)
        for name, help_text in Tables.NAMES.items()
    }
    return Tables(
        tickers=made["ticker"], articles=made["article"], alert_groups=made["alert-group"], sites=made["site"]
    )


def _partitions_of(tps: set[Any], topic: str) -> list[int]:
    return sorted(tp.partition for tp in tps if tp.topic == topic)
