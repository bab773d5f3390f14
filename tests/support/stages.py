"""The worker's stages in process, over memory tables: one snapshots.raw record in, its exact outputs out."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from services.common.alert_rules_file import read_rules_file
from services.common.catalog import load_catalog
from services.common.settings import Settings
from services.common.taxonomy_file import load_taxonomy
from services.stream.deadletters import RawRecord
from services.stream.outputs import Queued
from services.stream.stages import Stages, build_stages
from services.stream.tables import memory_tables


@dataclass
class Monotonic:
    """A monotonic clock a test moves by hand."""

    now: float = 1_000.0

    def __call__(self) -> float:
        return self.now


def stages(env: dict[str, str] | None = None, monotonic: Callable[[], float] = Monotonic()) -> Stages:
    """The stages as `pagewire worker` builds them from `env`, with tables in memory."""
    settings = Settings.load(env or {})
    return build_stages(
        rules=settings.worker.stream_rules(),
        alert_rules=read_rules_file(settings.worker.alert_rules),
        taxonomy=load_taxonomy(),
        catalog=load_catalog(""),
        tables=memory_tables(),
        max_body_bytes=settings.producer.max_body_bytes,
        monotonic=monotonic,
    )


def handle(running: Stages, records: Iterable[RawRecord]) -> list[Queued]:
    """Each record through the snapshot stage as the snapshot agent runs it; every output, in order."""
    found: list[Queued] = []
    for record in records:
        running.snapshots.handle(record)
        found += running.snapshot_outputs.take()
    return found
