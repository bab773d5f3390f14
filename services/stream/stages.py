"""The worker's stages wired over given tables: the same objects run in the Faust worker and in tests."""

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from services.common.catalog import Catalog
from services.domain.alerts.rules import Rule
from services.domain.articles.taxonomy import Taxonomy
from services.domain.ticker.rules import StreamRules
from services.stream.alerting import AlertStage
from services.stream.clocks import SiteClocks
from services.stream.deadletters import DeadLetters
from services.stream.outputs import Outputs
from services.stream.snapshots import SnapshotStage
from services.stream.staleness import StalenessStage, StalePairs
from services.stream.tables import Tables


@dataclass(frozen=True)
class Stages:
    """The snapshot stage and the staleness stage, each with its own output queue (so neither agent sends
    the other's messages half way through), sharing the tables, the site clocks and the stale pairs."""

    snapshots: SnapshotStage
    staleness: StalenessStage
    snapshot_outputs: Outputs
    tick_outputs: Outputs
    clocks: SiteClocks
    tables: Tables
    stale_pairs: StalePairs

    def revoke(self, partitions: Iterable[int]) -> None:
        """Partitions moved to another worker: their sites' clocks and stale-pair gauges go with them, so
        a site is reported by its one owner (pagewire_stale_pairs summed over workers counts it once)."""
        self.stale_pairs.forget(self.clocks.revoke(partitions))


def build_stages(
    *,
    rules: StreamRules,
    alert_rules: Sequence[Rule],
    taxonomy: Taxonomy,
    catalog: Catalog,
    tables: Tables,
    max_body_bytes: int,
    validate_outputs: bool = False,
    monotonic: Callable[[], float] = time.monotonic,
) -> Stages:
    clocks = SiteClocks(monotonic)
    stale_pairs = StalePairs()
    outputs = Outputs(catalog, taxonomy, validate=validate_outputs)
    snapshots = SnapshotStage(
        rules=rules,
        taxonomy=taxonomy,
        tables=tables,
        outputs=outputs,
        alerts=AlertStage(alert_rules, tables, outputs),
        clocks=clocks,
        stale_pairs=stale_pairs,
        deadletters=DeadLetters(outputs),
        max_body_bytes=max_body_bytes,
    )
    tick_outputs = Outputs(catalog, taxonomy, validate=validate_outputs)
    staleness = StalenessStage(
        rules=rules,
        tables=tables,
        outputs=tick_outputs,
        alerts=AlertStage(alert_rules, tables, tick_outputs),
        clocks=clocks,
        stale_pairs=stale_pairs,
    )
    return Stages(snapshots, staleness, outputs, tick_outputs, clocks, tables, stale_pairs)
