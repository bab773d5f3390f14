"""Poison among good snapshots: each is dead-lettered with its reason, the good ones processed as alone."""

import base64
from datetime import timedelta
from pathlib import Path

import orjson
import pytest

from services.common.settings import Settings
from tests.reliability.conftest import Figures
from tests.reliability.poison import SITE, corpus, original
from tests.reliability.runs import assert_same, differences, run_replay
from tests.support.replay import START, Record, build_replay

POISON_SEED = 7  # the good pages around the poison; any seed would do


@pytest.mark.timeout(600)
async def test_poison_is_dead_lettered_with_its_reason_and_the_good_snapshots_around_it_are_processed(
    kafka: Settings, test_env: dict[str, str], tmp_path: Path, figures: Figures
) -> None:
    good = build_replay(POISON_SEED, sites=1, per_site=45, poison=False).records
    assert {key for key, _ in good} == {SITE.encode()}
    # poison fetch times interleave with the good pages', so none is "late" for a reason of its own
    poison = corpus(lambda n: START + timedelta(minutes=20 * n + 10))
    records: list[Record] = []
    poison_at: list[int] = []  # the index of each poison record among those sent
    for n, record in enumerate(good):
        records.append(record)
        if n < len(poison):
            poison_at.append(len(records))
            records.append((poison[n].key, poison[n].value))

    reference = await run_replay(test_env, tmp_path / "reference", good, dialects=("sqlite",))
    poisoned = await run_replay(test_env, tmp_path / "poisoned", records, dialects=("sqlite",))

    # the good snapshots: every topic, table and chat request exactly as without the poison
    found = differences(reference, poisoned, skip=("deadletter",))
    figures.record(found)
    figures.bad_inputs += len(poison)
    figures.notes.append(f"poison: {len(poison)} bad snapshots among {len(good)} good ones, one worker")
    assert_same(found)
    assert reference.topics["deadletter"] == []

    # the poison: one dead letter each, from the worker, with the original bytes and where they were
    where = [poisoned.sent[index] for index in poison_at]
    letters = [orjson.loads(value) for _, value in poisoned.topics["deadletter"]]
    got = sorted(
        (letter["source"]["partition"], letter["source"]["offset"], letter["stage"], letter["reason"])
        for letter in letters
    )
    assert got == sorted((*spot, item.stage, item.reason) for spot, item in zip(where, poison, strict=True))
    by_offset = {letter["source"]["offset"]: letter for letter in letters}
    for (_, offset), item in zip(where, poison, strict=True):
        letter = by_offset[offset]
        assert letter["original"] == original(item), item.name
        assert letter["source"]["key"] == base64.b64encode(item.key).decode(), item.name
        assert letter["error"], item.name
