"""Consumer lag of the worker's Faust consumer into pagewire_consumer_lag_messages (services.common.lag)."""

import logging
from collections.abc import Mapping
from typing import Any, TypeVar, cast

import faust

from services.common.lag import LagReporter
from services.common.metrics import STANDBY_LAG

log = logging.getLogger(__name__)
T = TypeVar("T")
_REPORTER = LagReporter()


async def report_lag(app: faust.App, topic: str) -> None:
    """End offset (asked of the broker) minus the committed offset, per assigned partition of `topic`.

    The end offsets come from the broker, not the last fetch, so a stuck worker's lag keeps growing;
    committed offsets are Kafka's own measure of what the group has finished.
    """
    try:
        assigned = [tp for tp in app.consumer.assignment() if tp.topic == topic]
        ends = await app.consumer.highwaters(*assigned) if assigned else {}
        lags: dict[tuple[str, int], int] = {}
        for tp in assigned:
            done = app.monitor.tp_committed_offsets.get(tp)
            if done is None:
                done = await app.consumer.position(tp)
            if done is not None and tp in ends:
                lags[(tp.topic, tp.partition)] = max(int(ends[tp]) - int(done), 0)
        _REPORTER.publish(lags)
    except Exception as exc:
        # keep the last values; this line says why they stopped moving
        log.warning("consumer lag not measured", extra={"reason": type(exc).__name__})


async def report_standby_lag(app: faust.App) -> None:
    """Changelog records written but not yet read into this worker's standby copies: what a takeover of
    those partitions would have to read first (0 when it keeps none)."""
    try:
        recovery = cast(Any, app.tables).recovery  # Faust internal, see test_faust_internals
        standbys = set(recovery.standby_tps)
        ends = await app.consumer.highwaters(*standbys) if standbys else {}
        STANDBY_LAG.set(standby_lag_records(ends, recovery.standby_offsets))
    except Exception as exc:
        log.warning("standby lag not measured", extra={"reason": type(exc).__name__})


def standby_lag_records(ends: Mapping[T, int | None], read: Mapping[T, int | None]) -> int:
    """Records of each partition from `ends` (its end offset; None: not known) not yet read into its copy.

    `read` is Faust's standby_offsets: the offset of the last record read into the copy, absent or None
    when none was yet (Faust sets None for a partition whose copy has no offset stored, until its first
    record: a None read as -1, where int(None) had stopped the gauge with a TypeError after a rebalance).
    """
    lag = 0
    for tp, end in ends.items():
        last = read.get(tp)
        if end is not None:
            lag += max(int(end) - 1 - (-1 if last is None else int(last)), 0)
    return lag
