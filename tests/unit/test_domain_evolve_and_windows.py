"""Two shortcuts of the hot path give what the plain code gives: evolve() and the window search."""

import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cached_property

import pytest

from services.domain.evolve import evolve
from services.domain.ticker.dedupe import observe_ticker
from services.domain.ticker.deltas import RateRun, WindowMove, move
from services.domain.ticker.deltas import window_move as searched
from services.domain.ticker.rules import StreamRules
from tests.support.stream import at, observation


def scanned(history: list[RateRun], rate: str, when: datetime, length: timedelta) -> WindowMove | None:
    """The window move by plain scans: the last run accepted at or before the start, if seen no earlier
    than a window before it; else the oldest run seen inside the window."""
    start = when - length
    known = [run for run in history if run.since <= start]
    if known and known[-1].until >= start - length:
        change, change_pct, ticks = move(known[-1].rate, rate)
        return WindowMove(known[-1].rate, min(known[-1].until, start), change, change_pct, ticks)
    for run in history:
        if run.since <= when and run.until >= start:
            change, change_pct, ticks = move(run.rate, rate)
            return WindowMove(run.rate, run.since, change, change_pct, ticks)
    return None


@pytest.mark.parametrize("seed", range(5))
def test_the_window_search_finds_what_plain_scans_find(seed: int) -> None:
    rng = random.Random(seed)
    history: list[RateRun] = []
    moment = at(0)
    for ticks in rng.sample(range(1000, 2000), 300):
        since = moment + timedelta(minutes=rng.choice([0, 1, 5, 90, 60 * 30]))
        moment = since + timedelta(minutes=rng.choice([0, 0, 1, 30, 60 * 26]))
        history.append(RateRun(f"{ticks / 100_000:.5f}", since, moment))
    for _ in range(200):
        when = moment + timedelta(minutes=rng.choice([0, 1, 60, 60 * 24 * 8]))
        length = timedelta(minutes=rng.randint(0, 60 * 24 * 10))
        assert searched(history, "0.01500", when, length) == scanned(history, "0.01500", when, length)


def test_evolve_is_replace() -> None:
    state = observe_ticker(None, observation("0.01144"), StreamRules()).state
    assert evolve(state, duplicates=3, last_seen=at(1)) == replace(state, duplicates=3, last_seen=at(1))
    assert evolve(state) == state and evolve(state) is not state
    with pytest.raises(TypeError, match="no field"):
        evolve(state, duplicate=3)


@dataclass(frozen=True)
class Rendered:
    value: int

    @cached_property
    def text(self) -> str:
        return str(self.value)


@dataclass(frozen=True)
class Checked:
    value: int

    def __post_init__(self) -> None:
        if self.value < 0:
            raise ValueError("negative")


def test_evolve_leaves_cached_properties_behind_and_refuses_validated_records() -> None:
    rendered = Rendered(1)
    assert rendered.text == "1"
    assert evolve(rendered, value=2).text == "2"
    with pytest.raises(TypeError, match=r"dataclasses\.replace"):
        evolve(Checked(1), value=-1)
