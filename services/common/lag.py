"""Consumer lag into pagewire_consumer_lag_messages: end offset minus position, per assigned partition."""

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from aiokafka import TopicPartition
from aiokafka.errors import IllegalStateError, KafkaError

from services.common.metrics import CONSUMER_LAG

log = logging.getLogger(__name__)

PartitionLag = Mapping[tuple[str, int], int]


class LagReporter:
    """Publishes one consumer's lag and drops the series of partitions it no longer owns.

    After a rebalance another process reports a moved partition; a value left behind here would
    read as lag that never shrinks and fire the lag alerts for nothing.
    """

    def __init__(self) -> None:
        self._reported: set[tuple[str, int]] = set()

    def publish(self, lags: PartitionLag) -> None:
        for (topic, partition), lag in lags.items():
            CONSUMER_LAG.labels(topic=topic, partition=str(partition)).set(max(lag, 0))
        for topic, partition in self._reported - set(lags):
            CONSUMER_LAG.remove(topic, str(partition))
        self._reported = set(lags)

    def clear(self) -> None:
        self.publish({})


async def aiokafka_lag(consumer: Any, timeout: float = 5.0) -> dict[tuple[str, int], int]:
    """Lag of each partition assigned to an aiokafka consumer, in messages.

    The end offsets are asked of the broker rather than taken from the last fetch (`highwater`):
    a stalled consumer stops fetching, and its lag must keep growing all the same.
    """
    assigned: list[TopicPartition] = sorted(consumer.assignment())
    if not assigned:
        return {}
    async with asyncio.timeout(timeout):
        ends: dict[TopicPartition, int] = await consumer.end_offsets(assigned)
    lags: dict[tuple[str, int], int] = {}
    for partition in assigned:
        try:
            async with asyncio.timeout(timeout):
                position = int(await consumer.position(partition))
        except (IllegalStateError, TimeoutError):
            continue  # revoked meanwhile, or no position yet: nothing true to report
        lags[(partition.topic, partition.partition)] = max(ends[partition] - position, 0)
    return lags


async def report_consumer_lag(consumer: Any, interval: float, reporter: LagReporter | None = None) -> None:
    """Measure and publish the consumer's lag every `interval` seconds; run it as a task, cancel to stop."""
    reporter = reporter or LagReporter()
    try:
        while True:
            try:
                reporter.publish(await aiokafka_lag(consumer, timeout=max(interval, 1.0)))
            except (KafkaError, TimeoutError) as exc:
                # keep the last values rather than none; this line says why they stopped moving
                log.warning("consumer lag not measured", extra={"reason": type(exc).__name__})
            await asyncio.sleep(interval)
    finally:
        reporter.clear()
