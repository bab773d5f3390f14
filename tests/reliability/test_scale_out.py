"""Scale out for real: the crash suite's 2,000-snapshot replay through 3 workers, 2 storage sinks and 2 alert
sinks on a 3-node Kafka cluster while, in a seeded order, a worker is added, a worker is SIGKILLed for good,
an alert sink and a storage sink are SIGKILLed and restarted, and the node leading the controller quorum
is SIGKILLed and restarted. The outcome equals the clean single-worker, one-broker run's by identity per
topic."""

# The cluster is a private one (services/localkafka under a temporary PAGEWIRE_HOME, on free ports, running
# the jars the shared broker's home already downloaded): the shared broker at localhost:9092 is never touched.

import asyncio
import random
import re
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest

from services.common.kafka import admin
from services.common.settings import LocalKafkaSettings, Settings
from services.localkafka.broker import LocalKafka
from tests.reliability.conftest import BURST, PAUSE, SITES, Figures
from tests.reliability.runs import Fault, FaultPoint, RunResult, assert_same, differences, run_replay
from tests.support.pipeline import Pipeline
from tests.support.replay import Replay

INSTANCES = {"worker": 3, "storage": 2, "alerts": 2}
ADD_WORKER, KILL_WORKER, KILL_SINK, KILL_STORAGE, KILL_BROKER = (
    "a worker added",
    "a worker SIGKILLed for good",
    "an alert sink SIGKILLed and restarted",
    "a storage sink SIGKILLed and restarted",
    "the quorum leader SIGKILLed and restarted",
)
BROKER_DOWN_SECONDS = 8.0
# what a producer or consumer logs when a write is refused for lack of in-sync replicas
REFUSED = re.compile(rb"NotEnoughReplicas|NOT_ENOUGH_REPLICAS")


def free_base_port() -> int:
    """A port P such that P to P+5 are free: a 3-node cluster's broker and controller ports."""
    rng = random.SystemRandom()
    for _ in range(200):
        base = rng.randrange(20_000, 60_000, 2)
        if all(_free(port) for port in range(base, base + 6)):
            return base
    raise AssertionError("no six free ports in a row")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@pytest.fixture(scope="module")
async def cluster(kafka: Settings, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LocalKafka]:
    shared = LocalKafka(kafka.local_kafka)
    base = free_base_port()
    local = LocalKafkaSettings(
        home=tmp_path_factory.mktemp("cluster"),
        port=base,
        controller_port=base + 1,
        heap="384m",
        jars=shared.libs,
    )
    nodes = LocalKafka(local, brokers=3)
    await asyncio.to_thread(nodes.up)
    try:
        yield nodes
    finally:
        await asyncio.to_thread(nodes.down)


def fault_plan(seed: int, snapshots: int) -> list[FaultPoint]:
    """The five faults in a seeded order, at seeded places (in snapshots the workers summarised) spread
    over the replay: one in each sixth after the first, each one's rebalance or election done before the
    next."""
    rng = random.Random(seed)
    faults = [ADD_WORKER, KILL_WORKER, KILL_SINK, KILL_STORAGE, KILL_BROKER]
    rng.shuffle(faults)
    sixth = snapshots // 6
    places = [rng.randrange(sixth * (n + 1) - sixth // 3, sixth * (n + 1) + sixth // 3) for n in range(5)]
    return [
        FaultPoint(place, fault, round(rng.uniform(0, 0.5), 3))
        for place, fault in zip(places, faults, strict=True)
    ]


def owned_partitions(log: Path) -> list[int]:
    """The snapshots.raw partitions a worker owns: those of the last recovery it logged."""
    owned: list[int] = []
    for line in log.read_bytes().splitlines():
        if b'"state recovered' in line:
            owned = list(orjson.loads(line).get("partitions", []))
    return owned


class Faults:
    """The faults of the plan on one run, and what they did (for the figures)."""

    def __init__(self, cluster: LocalKafka, seed: int) -> None:
        self.cluster = cluster
        self.rng = random.Random(seed)
        self.done: list[str] = []

    def table(self) -> dict[str, Fault]:
        return {
            ADD_WORKER: self.add_worker,
            KILL_WORKER: self.kill_worker,
            KILL_SINK: self.kill_sink,
            KILL_STORAGE: self.kill_storage,
            KILL_BROKER: self.kill_broker,
        }

    async def add_worker(self, run: Pipeline) -> None:
        name, worker = run.new_worker()
        await worker.start()
        self.done.append(f"{name} added")

    async def kill_worker(self, run: Pipeline) -> None:
        # a worker that owns partitions with sites on them, so a takeover has state to recover
        owners = [name for name, worker in run.workers().items() if owned_partitions(worker.log)]
        victim = self.rng.choice(sorted(owners))
        partitions = owned_partitions(run.workers()[victim].log)
        await run.workers()[victim].kill()
        run.retire(victim)
        self.done.append(f"{victim} (partitions {partitions}) SIGKILLed for good")

    async def kill_sink(self, run: Pipeline) -> None:
        await self._kill_one_of(run, "alert sink")

    async def kill_storage(self, run: Pipeline) -> None:
        await self._kill_one_of(run, "storage sink")

    async def _kill_one_of(self, run: Pipeline, kind: str) -> None:
        victim = self.rng.choice(sorted(name for name in run.processes() if name.startswith(kind)))
        await run.processes()[victim].kill()
        await run.processes()[victim].start()
        self.done.append(f"{victim} SIGKILLed and restarted")

    async def kill_broker(self, run: Pipeline) -> None:
        leader = await asyncio.to_thread(self.cluster.quorum_leader)
        assert leader is not None, "no node leads the controller quorum"
        led = await partitions_led(run, leader)
        assert led, f"node {leader} leads no partition of the run's topics"
        await asyncio.to_thread(self.cluster.stop_node, leader, kill=True)
        await asyncio.sleep(BROKER_DOWN_SECONDS)
        await asyncio.to_thread(self.cluster.up)
        self.done.append(
            f"node {leader} (quorum leader, leading {led} partitions) SIGKILLed, "
            f"restarted {BROKER_DOWN_SECONDS:g}s later"
        )


async def partitions_led(run: Pipeline, node: int) -> int:
    """How many partitions of the run's catalog topics `node` leads."""
    client = admin(run.settings.kafka)
    await client.start()
    try:
        described = await client.describe_topics([run.catalog.name(spec.name) for spec in run.catalog.topics])
    finally:
        await client.close()
    return sum(partition["leader"] == node for topic in described for partition in topic["partitions"])


@pytest.mark.timeout(1200)
async def test_three_workers_and_two_of_each_sink_on_three_brokers_give_the_single_worker_outcome(
    cluster: LocalKafka,
    reference: RunResult,
    replay: Replay,
    test_env: dict[str, str],
    tmp_path: Path,
    fault_seed: int,
    figures: Figures,
) -> None:
    plan = fault_plan(fault_seed, len(replay.records))
    print(f"fault seed {fault_seed}; faults:", *(p.describe() for p in plan), sep="\n  ")
    faults = Faults(cluster, fault_seed)
    env = {**test_env, "PAGEWIRE_KAFKA_BOOTSTRAP": cluster.bootstrap}

    faulted = await run_replay(
        env,
        tmp_path / "scaled",
        replay.records,
        plan,
        dialects=("postgresql",),
        faults=faults.table(),
        store="rocksdb",
        burst=BURST,
        pause=PAUSE,
        progress="parsed",
        instances=INSTANCES,
    )

    found = differences(reference, faulted)
    figures.kill_points += [f"scale-out: {fault}" for fault in faults.done]
    figures.record(found)
    figures.notes.append(
        f"scale-out replay: {len(replay.records)} snapshots on {SITES} sites through 3 workers (a 4th added, "
        "one SIGKILLed for good), 2 storage sinks (PostgreSQL) and 2 alert sinks on a 3-node cluster, "
        "against one worker on one broker"
    )
    assert_same(found, fault_seed)
    refused = [log.name for log in (tmp_path / "scaled").glob("*.log") if REFUSED.search(log.read_bytes())]
    assert refused == [], f"writes refused for lack of in-sync replicas while 2 of 3 nodes ran: {refused}"
