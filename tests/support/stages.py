"""The worker's stages in process, over memory tables: one snapshots.raw record in, its exact outputs out."""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from services.common import codec
from services.common.alert_rules_file import read_rules_file
from services.common.catalog import load_catalog
from services.common.settings import Settings
from services.common.taxonomy_file import load_taxonomy
from services.domain.page.snapshot import Snapshot
from services.stream.deadletters import RawRecord
from services.stream.outputs import Queued
from services.stream.stages import Stages, build_stages
from services.stream.tables import memory_tables
from tests.conftest import SEED

URL = "https://timesca.com/news/"


@dataclass(frozen=True)
class InputRecord:
    """One snapshots.raw record as Kafka hands it to the worker (services.stream.deadletters.RawRecord)."""

    topic: str
    partition: int
    offset: int
    key: bytes
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()
    timestamp: float | None = None  # when it was produced (None: now)


def seed_page(**rates: tuple[str, str]) -> bytes:
    """The seed page with some pairs' rate and printed change replaced: seed_page(UZS=("0.00009", "12.5"))."""
    text = SEED.read_text(encoding="utf-8")
    for base, (rate, change) in rates.items():
        text = re.sub(rf"{base}/USD = \S+ \S+%", f"{base}/USD = {rate} {change}%", text)
    return text.encode()


def raw(
    site: str,
    fetched_at: datetime,
    body: bytes | None = None,
    *,
    offset: int = 0,
    produced_at: float | None = None,
) -> InputRecord:
    """A snapshot of `site` as the producer writes it to snapshots.raw (partition 0), at `produced_at`
    (epoch seconds; None: the record carries no timestamp, as now)."""
    page = SEED.read_bytes() if body is None else body
    snapshot = Snapshot(page, URL, site, fetched_at, "text/plain", None)
    headers = (("pagewire-snapshot-id", snapshot.snapshot_id.encode()),)
    value = codec.encode(snapshot.to_envelope())
    return InputRecord("snapshots.raw", 0, offset, site.encode(), value, headers, produced_at)


def polled(fetched_at: datetime) -> float:
    """A record timestamp two seconds after the page was fetched: a page produced as it was polled (live),
    not a replay of a saved one, whatever its own time."""
    return fetched_at.timestamp() + 2


@dataclass
class Monotonic:
    """A monotonic clock a test moves by hand."""

    now: float = 1_000.0

    def __call__(self) -> float:
        return self.now


def stages(env: dict[str, str] | None = None, monotonic: Callable[[], float] | None = None) -> Stages:
    """The stages as `pagewire worker` builds them from `env`, with tables in memory."""
    settings = Settings.load(env or {})
    return build_stages(
        rules=settings.worker.stream_rules(),
        alert_rules=read_rules_file(settings.worker.alert_rules),
        taxonomy=load_taxonomy(),
        catalog=load_catalog(""),
        tables=memory_tables(),
        max_body_bytes=settings.producer.max_body_bytes,
        # every message the stages write in a test is held to its schema, whatever production does
        validate_outputs=True,
        monotonic=monotonic or Monotonic(),
    )


def handle(running: Stages, records: Iterable[RawRecord]) -> list[Queued]:
    """Each record through the snapshot stage as the snapshot agent runs it; every output, in order."""
    found: list[Queued] = []
    for record in records:
        running.snapshots.handle(record)
        found += running.snapshot_outputs.take()
    return found
