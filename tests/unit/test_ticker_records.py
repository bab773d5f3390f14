"""Ticker states kept as a small record plus chunks of closed runs: round trips, sizes, crash prefixes."""

import json
import random
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from services.domain.errors import SchemaError
from services.domain.ticker.dedupe import observe_ticker
from services.domain.ticker.records import (
    RUNS_PER_CHUNK,
    StoredTicker,
    chunk_key,
    load_record,
    plan_write,
)
from services.domain.ticker.rows import TickerState, ticker_key
from services.domain.ticker.rules import StreamRules
from tests.support.stream import SITE, at, observation

RULES = StreamRules.parse(history_limit=40)
KEY = ticker_key(SITE, "KGS/USD")

Op = tuple[str, str, Any]


class Table:
    """A table as the worker's Faust table holds it: keys to JSON values, changed in write order."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.stored: StoredTicker | None = None

    def ops(self, state: TickerState) -> tuple[list[Op], StoredTicker]:
        """The writes storing `state`, in the order they reach the changelog."""
        write = plan_write(self.stored, state, lambda n: chunk_key(KEY, n) in self.data)
        ops: list[Op] = [("set", chunk_key(KEY, number), chunk) for number, chunk in write.chunks]
        if write.record is not None:
            ops.append(("set", KEY, write.record))
        ops += [("del", chunk_key(KEY, number), None) for number in write.dropped]
        return ops, write.stored

    def store(self, state: TickerState) -> list[Op]:
        ops, self.stored = self.ops(state)
        apply(self.data, ops)
        return ops

    def load(self, data: dict[str, Any] | None = None) -> TickerState:
        data = self.data if data is None else data
        # values as the changelog carries them: JSON
        wire = json.loads(json.dumps(data))
        return load_record(wire[KEY], chunks_of(wire)).state


def chunks_of(data: dict[str, Any]) -> Callable[[int], Any]:
    return lambda number: data.get(chunk_key(KEY, number))


def apply(data: dict[str, Any], ops: list[Op]) -> None:
    for kind, key, value in ops:
        if kind == "set":
            data[key] = value
        else:
            del data[key]


def states(seed: int, count: int) -> list[TickerState]:
    """Observations of one pair through the dedupe rule: repeats, moves, late pages, long silences."""
    rng = random.Random(seed)
    state, ticks, when, found = None, 1144, at(0), []
    for _ in range(count):
        gap = rng.random()
        when += at(days=3) - at(0) if gap < 0.005 else at(minutes=0 if gap < 0.1 else 1) - at(0)
        roll = rng.random()
        if roll < 0.5:
            ticks += rng.choice((-2, -1, 1, 2))
        moment: datetime = when - (at(1) - at(0)) if roll > 0.95 else when
        change = "0" if roll < 0.8 else "-0.11"
        row = observation(f"{ticks / 100_000:.5f}", change, moment)
        state = observe_ticker(state, row, RULES).state
        found.append(state)
    return found


def test_every_state_reads_back_equal_and_old_chunks_are_deleted() -> None:
    table, longest = Table(), 0
    for state in states(seed=1, count=2_000):
        table.store(state)
        longest = max(longest, len(state.history))
        assert table.load() == state
        chunks = [key for key in table.data if key != KEY]
        # the history (at most 40 runs) spans at most 4 chunks of 16; one more may wait to be deleted
        assert len(chunks) <= RULES.history_limit // RUNS_PER_CHUNK + 2
    assert longest == RULES.history_limit  # the sequence did fill the history, and silences emptied it


def test_a_duplicate_sighting_writes_a_few_hundred_bytes() -> None:
    table = Table()
    sequence = states(seed=2, count=600)
    for state in sequence:
        table.store(state)
    last = sequence[-1]
    assert len(last.history) == RULES.history_limit
    later = last.last_seen + (at(1) - at(0))
    duplicate = observe_ticker(last, observation(last.rate, last.change_pct, later), RULES)
    ops = table.store(duplicate.state)
    assert [(kind, key) for kind, key, _ in ops] == [("set", KEY)]
    assert len(json.dumps(ops[0][2])) < 700


def test_a_rate_change_rewrites_one_chunk_of_at_most_16_runs() -> None:
    table = Table()
    written: list[int] = []
    for state in states(seed=3, count=1_000):
        ops = table.store(state)
        written += [len(value["runs"]) for kind, key, value in ops if kind == "set" and key != KEY]
    assert written and max(written) <= RUNS_PER_CHUNK


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_any_prefix_of_one_events_writes_reads_back_as_before_or_after_it(seed: int) -> None:
    # a crash can cut an event's writes anywhere; one changelog partition keeps their order
    table = Table()
    for state in states(seed=seed, count=800):
        before = table.load() if table.data else None
        ops, stored = table.ops(state)
        for cut in range(1, len(ops)):
            partial = dict(table.data)
            apply(partial, ops[:cut])
            assert table.load(partial) in (before, state)
        apply(table.data, ops)
        table.stored = stored


def test_a_write_after_a_lost_deletion_deletes_it() -> None:
    table = Table()
    lost: set[str] = set()
    for state in states(seed=7, count=1_500):
        ops, table.stored = table.ops(state)
        # every deletion is lost once (a crash right after the record), then reprocessing moves on
        kept = [op for op in ops if op[0] == "set" or op[1] in lost]
        lost |= {key for kind, key, _ in ops if kind == "del"}
        apply(table.data, kept)
        table.stored = load_record(table.data[KEY], chunks_of(table.data))
        assert table.stored.state == state
    assert lost
    chunks = [key for key in table.data if key != KEY]
    assert len(chunks) <= RULES.history_limit // RUNS_PER_CHUNK + 2


def test_a_whole_state_of_the_previous_format_is_read_and_then_stored_in_chunks() -> None:
    old = states(seed=8, count=300)
    whole = json.loads(json.dumps(old[-2].to_dict()))
    table = Table()
    table.data[KEY] = whole
    table.stored = load_record(whole, chunks_of(table.data))
    assert table.stored.state == old[-2]
    table.store(old[-1])
    assert table.load() == old[-1]


def test_a_missing_chunk_or_version_is_a_schema_error() -> None:
    table = Table()
    for state in states(seed=9, count=300):
        table.store(state)
    chunks = [key for key in table.data if key != KEY]
    with pytest.raises(SchemaError):
        load_record(table.data[KEY], chunks_of({k: v for k, v in table.data.items() if k != chunks[-1]}))
    with pytest.raises(SchemaError):
        load_record({**table.data[KEY], "version": 9}, chunks_of(table.data))


def test_a_state_that_does_not_follow_the_stored_one_is_refused() -> None:
    table = Table()
    sequence = states(seed=10, count=200)
    table.store(sequence[-1])
    with pytest.raises(ValueError, match="does not follow"):
        table.store(sequence[0])
