"""How a TickerState is kept in its table: a small record per sighting, the closed rate runs in chunks.

A state's history holds up to history_limit rate runs (for the 1h/24h/7d windows). Stored whole, every
sighting, duplicates included, rewrote some 20 KB. So the state is kept under several keys of one table:
- `site|pair`: the small record (last accepted row, last sighting, liveness, counters, the current run's
  rate and start, and where the history begins in the numbering of all the pair's runs); rewritten on
  every sighting, a few hundred bytes. The current run's end is its last_seen.
- `site|pair#<n>`: chunk n, the closed runs numbered n * RUNS_PER_CHUNK onwards; rewritten only when a
  rate change closes one of its runs, deleted once the history no longer reaches it.

One event's writes go out in this order: chunks, then the small record, then deletions. All keys of a
(site, pair) are in the same changelog partition (the site's), and a partition keeps order, so whatever
prefix of those writes survives a crash reads back as the state before or after the event:
- a chunk written but not the record: the chunk holds one run more than the record counts; ignored;
- the record written but not a deletion: the chunk lies before the history; ignored, and deleted by the
  next write, which keeps `chunks_from` (the lowest chunk that may still exist) until it has.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from services.domain.errors import SchemaError
from services.domain.instants import format_instant, parse_instant
from services.domain.ticker.deltas import RateRun
from services.domain.ticker.rows import STATE_VERSION, TickerState

RECORD_VERSION = 2
RUNS_PER_CHUNK = 16

Chunk = dict[str, Any]


def chunk_key(key: str, number: int) -> str:
    """The table key of chunk `number` of the ticker state at `key`: 'timesca.com|KGS/USD#3'."""
    return f"{key}#{number}"


@dataclass(frozen=True)
class StoredTicker:
    """A TickerState as its table holds it."""

    state: TickerState
    first: int  # the number of state.history[0]; a pair's runs are numbered from 0 as they start
    chunks_from: int  # the lowest chunk that may still be in the table
    record: dict[str, Any]  # the small record as stored
    chunked: bool = True  # False when read from a whole (version 1) state: no closed run is in a chunk yet

    @property
    def current(self) -> int:
        """The number of the current run (the last of the history)."""
        return self.first + len(self.state.history) - 1


@dataclass(frozen=True)
class TickerWrite:
    """What storing a state writes, in this order: chunks, the record (None: unchanged), deletions."""

    stored: StoredTicker
    chunks: tuple[tuple[int, Chunk], ...]
    record: dict[str, Any] | None
    dropped: tuple[int, ...]


def plan_write(before: StoredTicker | None, after: TickerState, exists: Callable[[int], bool]) -> TickerWrite:
    """The writes that take the table from `before` (None: nothing stored) to `after`.

    `after` must follow from `before` by the dedupe rule (services.domain.ticker.dedupe): runs only drop
    off the front, the current run's end moves, or one new run starts. `exists(n)` says whether chunk n
    is in the table now.
    """
    history = after.history
    if not history or history[-1].until != after.last_seen:
        raise ValueError("a ticker state's current run must end at its last_seen")
    if before is None:
        current, first, chunks_from = len(history) - 1, 0, 0
        closed = range(first, current)  # none for a first state
    else:
        old = before.state.history
        same_run = _start(history[-1]) == _start(old[-1])
        current = before.current + (0 if same_run else 1)
        first = current - len(history) + 1
        offset = first - before.first
        if (
            offset < 0
            or (offset < len(old) and _start(history[0]) != _start(old[offset]))
            or history[-1].since < old[-1].since
        ):
            raise ValueError(f"ticker state of {after.site}|{after.pair} does not follow from the stored one")
        chunks_from = before.chunks_from
        # a whole state read back has no chunk yet; otherwise only a run just closed is new in a chunk
        closed = range(first, current) if not before.chunked else range(max(first, current - 1), current)
        if same_run and before.chunked:
            closed = range(0)
    numbers = range(closed[0] // RUNS_PER_CHUNK, closed[-1] // RUNS_PER_CHUNK + 1) if closed else range(0)
    chunks = tuple(_chunk(history, first, current, number) for number in numbers)
    first_chunk = first // RUNS_PER_CHUNK
    dropped = tuple(number for number in range(chunks_from, first_chunk) if exists(number))
    # the record written now still names the chunks it deletes (they go out after it), so a crash between
    # the two leaves them to the next write
    record = _record(after, first, current, dropped[0] if dropped else first_chunk)
    stored = StoredTicker(after, first, int(record["chunks_from"]), record)
    unchanged = before is not None and before.record == record
    return TickerWrite(stored, chunks, None if unchanged else record, dropped)


def load_record(record: dict[str, Any], chunk: Callable[[int], Chunk | None]) -> StoredTicker:
    """The stored state from its small record and `chunk(n)` (None when chunk n is not in the table).

    A whole state of the previous format (version 1) is read as it is; the next write stores it in chunks.
    """
    try:
        version = record["version"]
        if version == STATE_VERSION:
            return StoredTicker(TickerState.from_dict(record), 0, 0, record, chunked=False)
        if version != RECORD_VERSION:
            message = f"ticker record version {version!r} is not {RECORD_VERSION}"
            raise SchemaError(message, reason="invalid_state")
        first, current = int(record["first"]), int(record["run"]["number"])
        key = f"{record['site']}|{record['pair']}"
        last_seen = parse_instant(record["last_seen"])
        closed = _closed_runs(key, first, current, chunk)
        run = RateRun(record["run"]["rate"], parse_instant(record["run"]["since"]), last_seen)
        stale_since = record["stale_since"]
        state = TickerState(
            site=record["site"],
            pair=record["pair"],
            rate=record["rate"],
            change_pct=record["change_pct"],
            accepted_at=parse_instant(record["accepted_at"]),
            accepted_snapshot_id=record["accepted_snapshot_id"],
            last_seen=last_seen,
            last_seen_snapshot_id=record["last_seen_snapshot_id"],
            history=(*closed, run),
            stale_since=None if stale_since is None else parse_instant(stale_since),
            duplicates=int(record["duplicates"]),
            late=int(record["late"]),
        )
        return StoredTicker(state, first, int(record["chunks_from"]), record)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise SchemaError(f"ticker record is missing or mistypes {exc}", reason="invalid_state") from exc


def _closed_runs(key: str, first: int, current: int, chunk: Callable[[int], Chunk | None]) -> list[RateRun]:
    runs: list[RateRun] = []
    if current <= first:
        return runs
    for number in range(first // RUNS_PER_CHUNK, (current - 1) // RUNS_PER_CHUNK + 1):
        data = chunk(number)
        if data is None:
            raise SchemaError(f"ticker state {key}: chunk {number} is missing", reason="invalid_state")
        start = int(data["from"])
        for offset, run in enumerate(data["runs"]):
            if first <= start + offset < current:
                runs.append(RateRun.from_dict(run))
        if len(runs) != min(current, (number + 1) * RUNS_PER_CHUNK) - first:
            raise SchemaError(f"ticker state {key}: chunk {number} lacks runs", reason="invalid_state")
    return runs


def _chunk(history: tuple[RateRun, ...], first: int, current: int, number: int) -> tuple[int, Chunk]:
    """Chunk `number` with the closed runs of `history` (numbered from `first`) that fall in it."""
    start = max(first, number * RUNS_PER_CHUNK)
    end = min(current, (number + 1) * RUNS_PER_CHUNK)
    return number, {"from": start, "runs": [run.to_dict() for run in history[start - first : end - first]]}


def _record(state: TickerState, first: int, current: int, chunks_from: int) -> dict[str, Any]:
    run = state.history[-1]
    return {
        "version": RECORD_VERSION,
        "site": state.site,
        "pair": state.pair,
        "rate": state.rate,
        "change_pct": state.change_pct,
        "accepted_at": format_instant(state.accepted_at),
        "accepted_snapshot_id": state.accepted_snapshot_id,
        "last_seen": format_instant(state.last_seen),
        "last_seen_snapshot_id": state.last_seen_snapshot_id,
        "stale_since": None if state.stale_since is None else format_instant(state.stale_since),
        "duplicates": state.duplicates,
        "late": state.late,
        "run": {"number": current, "rate": run.rate, "since": format_instant(run.since)},
        "first": first,
        "chunks_from": chunks_from,
    }


def _start(run: RateRun) -> tuple[str, Any]:
    """What identifies a run: consecutive runs differ in rate, and a run's start never moves."""
    return run.rate, run.since
