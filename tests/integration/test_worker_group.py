"""Several `pagewire worker` processes in one group on the real broker: each becomes ready and owns its share
of snapshots.raw's partitions, and each site's staleness is reported by exactly one of them, after a
rebalance (a worker added) and after a takeover (a worker SIGKILLed) too."""

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from services.common.settings import Settings
from tests.support.worker import (
    Output,
    OwnTopics,
    Worker,
    of_site,
    one_pair_page,
    own_topics,
    polled,
    read_outputs,
    record,
    send,
    snapshot,
)

# 8 sites: the default partitioner puts them on 5 of the 6 partitions, so every worker owns some
SITES = [f"group{n}.example" for n in range(8)]
# Faust reads these itself: a SIGKILLed worker's partitions move to the others after 6 s, not 30 s
TAKEOVER = {"BROKER_SESSION_TIMEOUT": "6", "BROKER_HEARTBEAT_INTERVAL": "1"}


@dataclass
class Group:
    """Workers of one group under the test's own topics, each with a state folder of its own."""

    env: dict[str, str]
    folder: Path
    workers: list[Worker] = field(default_factory=list)

    async def add(self) -> Worker:
        number = len(self.workers) + 1
        env = {**self.env, "PAGEWIRE_STATE_DIR": str(self.folder / f"state-{number}")}
        process = Worker(env, self.folder / f"worker-{number}.log")
        self.workers.append(process)
        await process.start()  # ready: topics seen, partitions assigned, tables recovered, consuming
        return process

    def running(self) -> list[Worker]:
        return [process for process in self.workers if process.running]


@pytest.fixture
async def own(kafka: Settings) -> OwnTopics:
    return await own_topics(kafka, "group")


@pytest.fixture
async def group(test_env: dict[str, str], own: OwnTopics, tmp_path: Path) -> AsyncIterator[Group]:
    env = {
        **test_env,
        **own.env,
        **TAKEOVER,
        "PAGEWIRE_STALE_AFTER": "4s",
        "PAGEWIRE_STALENESS_INTERVAL": "0.25",
    }
    workers = Group(env, tmp_path)
    try:
        yield workers
    finally:
        for process in workers.running():
            assert await process.stop() == 0, process.tail()


def gauge(metrics: str, series: str) -> float | None:
    match = re.search(rf"^{re.escape(series)} (\S+)$", metrics, re.MULTILINE)
    return None if match is None else float(match.group(1))


async def owned_partitions(workers: list[Worker], expected: list[float], timeout: float = 30) -> None:
    """Until the workers' pagewire_worker_assigned_partitions are `expected` (in any order): each sets it
    once its own recovery after the rebalance is over."""
    deadline = time.monotonic() + timeout
    while True:
        owned = [gauge(await process.metrics(), "pagewire_worker_assigned_partitions") for process in workers]
        if sorted(owned, key=lambda value: value or 0) == expected:
            return
        assert time.monotonic() < deadline, f"partitions owned: {owned}, expected {expected}"
        await asyncio.sleep(0.5)


async def stale_reporters(workers: list[Worker]) -> dict[str, list[int]]:
    """Per site, the workers (by index) whose pagewire_stale_pairs says it is stale."""
    found: dict[str, list[int]] = {site: [] for site in SITES}
    for index, process in enumerate(workers):
        metrics = await process.metrics()
        for site in SITES:
            if gauge(metrics, f'pagewire_stale_pairs{{site="{site}"}}') == 1.0:
                found[site].append(index)
    return found


async def wait_reported_once(workers: list[Worker], timeout: float) -> None:
    """Until every site is reported stale by exactly one of `workers` (the others have no series for it)."""
    deadline = time.monotonic() + timeout
    while True:
        reporters = await stale_reporters(workers)
        if all(len(found) == 1 for found in reporters.values()):
            return
        assert time.monotonic() < deadline, f"sites and the workers reporting them stale: {reporters}"
        await asyncio.sleep(0.5)


def stale_once_each(found: list[Output]) -> bool:
    return all(of_site(found, "ticker.staleness", site) for site in SITES)


def stale_events(found: list[Output]) -> dict[str, list[str]]:
    return {site: [o.value["state"] for o in of_site(found, "ticker.staleness", site)] for site in SITES}


async def staleness_outputs(own: OwnTopics, until: Callable[[list[Output]], bool]) -> list[Output]:
    return await read_outputs(own.settings.kafka, own.catalog, ["ticker.staleness"], until, settle=2.0)


async def test_each_site_is_reported_stale_by_exactly_one_worker_through_a_rebalance_and_a_takeover(
    group: Group, own: OwnTopics
) -> None:
    first, second = await group.add(), await group.add()
    await owned_partitions([first, second], [3.0, 3.0])  # the 6 partitions, split

    pages = [snapshot(site, "2025-02-19T06:00:00Z", one_pair_page()) for site in SITES]
    await send(own.settings, [record(page) for page in pages], timestamps_ms=[polled(page) for page in pages])
    found = await staleness_outputs(own, stale_once_each)
    assert stale_events(found) == {site: ["stale"] for site in SITES}
    await wait_reported_once([first, second], timeout=10)

    # a third worker joins: partitions move while all three run, and each site's series moves with them
    third = await group.add()
    await owned_partitions([first, second, third], [2.0, 2.0, 2.0])
    await wait_reported_once([first, second, third], timeout=30)

    # the first worker dies: its partitions, stale pairs included, move to the two others
    await first.kill()
    await wait_reported_once([second, third], timeout=60)
    await owned_partitions([second, third], [3.0, 3.0])

    # the new owners recovered the stale state: no site was reported stale again, by anyone
    found = await staleness_outputs(own, stale_once_each)
    assert stale_events(found) == {site: ["stale"] for site in SITES}
    for process in (second, third):
        assert (gauge(await process.metrics(), "pagewire_worker_rebalances_total") or 0) >= 2
