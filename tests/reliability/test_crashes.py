"""SIGKILL the worker and both sinks at seeded random points of a replay: the outcome equals a clean run's."""

import random
from pathlib import Path

import pytest

from services.common.settings import Settings
from tests.reliability.conftest import Figures
from tests.reliability.runs import FaultPoint, assert_same, differences, run_replay
from tests.support.replay import build_replay

# at least 10 kill points: each process several times, in a seeded order at seeded places
VICTIMS = ("worker",) * 4 + ("storage sink (sqlite)", "storage sink (postgresql)") * 2 + ("alert sink",) * 4


def kill_plan(seed: int, records: int) -> list[FaultPoint]:
    rng = random.Random(seed)
    places = sorted(rng.sample(range(10, records - 10), len(VICTIMS)))
    victims = list(VICTIMS)
    rng.shuffle(victims)
    delays = [round(rng.uniform(0, 0.5), 3) for _ in victims]
    return [FaultPoint(*point) for point in zip(places, victims, delays, strict=True)]


@pytest.mark.timeout(900)
async def test_sigkills_at_random_points_lose_nothing_and_duplicate_nothing(
    kafka: Settings, test_env: dict[str, str], tmp_path: Path, fault_seed: int, figures: Figures
) -> None:
    replay = build_replay(fault_seed)
    plan = kill_plan(fault_seed, len(replay.records))
    print(f"fault seed {fault_seed}; kill points:", *(point.describe() for point in plan), sep="\n  ")

    reference = await run_replay(test_env, tmp_path / "reference", replay.records)
    faulted = await run_replay(test_env, tmp_path / "faulted", replay.records, plan)

    found = differences(reference, faulted)
    figures.kill_points += [point.describe() for point in plan]
    figures.record(found)
    figures.notes.append(
        f"crash replay: {len(replay.records)} snapshots ({replay.good} changed, {replay.duplicates} "
        f"repeated, {replay.late} late, {replay.poison} poison) on 4 sites, SQLite and PostgreSQL"
    )
    assert sum(len(messages) for messages in reference.topics.values()) > 1000
    assert len(reference.topics["alerts"]) > 10 and len(reference.topics["deadletter"]) == replay.poison
    assert_same(found, fault_seed)
