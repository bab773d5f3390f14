"""Rate deltas: the Decimal math of one accepted rate change and its moves over look-back windows."""

import itertools
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any

from services.domain.decimals import BPS_PLACES, PERCENT_PLACES, parse_decimal, ratio
from services.domain.instants import format_instant, parse_instant
from services.domain.ticker.rules import StreamRules, Window
from services.domain.ticker.ticks import change_in_ticks, common_tick, is_quantised


@dataclass(frozen=True)
class RateRun:
    """A stretch during which a pair's accepted rate stayed the same.

    `since` is the event time of the observation that accepted the rate, `until` the event time of the
    latest observation (accepted or duplicate) that still showed it. No other rate was accepted in between.
    """

    rate: str
    since: datetime
    until: datetime

    def to_dict(self) -> dict[str, str]:
        return dict(self._wire)

    @cached_property
    def _wire(self) -> dict[str, str]:
        # every write of a ticker state serialises its whole history again, and all runs but the last
        # are the very same objects as at the previous write
        return {"rate": self.rate, "since": format_instant(self.since), "until": format_instant(self.until)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RateRun":
        return cls(str(data["rate"]), parse_instant(data["since"]), parse_instant(data["until"]))


@dataclass(frozen=True)
class RateReading:
    """A rate and the change the page printed beside it, as printed, at an event time."""

    rate: str
    change_pct: str
    at: datetime


@dataclass(frozen=True)
class WindowMove:
    """The move of the new rate against the rate known at one window's start (see window_move)."""

    from_rate: str
    from_time: datetime
    change: Decimal
    change_pct: Decimal
    change_ticks: int


@dataclass(frozen=True)
class RateDelta:
    """One accepted rate change of (site, pair), all numbers Decimal (see pagewire.rate_delta/1)."""

    site: str
    pair: str
    snapshot_id: str
    previous: RateReading
    current: RateReading
    change: Decimal
    change_pct: Decimal
    change_bps: Decimal
    tick_size: Decimal
    change_ticks: int
    quantised: bool
    windows: tuple[tuple[str, WindowMove | None], ...]

    @property
    def seconds_since_previous(self) -> float:
        return (self.current.at - self.previous.at).total_seconds()


def move(from_rate: str, to_rate: str) -> tuple[Decimal, Decimal, int]:
    """(change, percent change to 6 places half-even, change in ticks) from one printed rate to another."""
    base = parse_decimal(from_rate)
    change = parse_decimal(to_rate) - base
    return change, ratio(change, base, 100, PERCENT_PLACES), change_in_ticks(from_rate, to_rate)


def window_move(history: Sequence[RateRun], rate: str, at: datetime, length: timedelta) -> WindowMove | None:
    """The move of `rate` (observed at `at`) over the window [at - length, at], or None.

    The reference is the rate known at the window start, an as-of join: the last run accepted at or before
    the start. A run is the page's rate from its acceptance (since) to its last sighting (until), duplicates
    included, and no other rate was accepted in between. When the reference was still seen at the start or
    after it, from_time is the start. When it was last seen before the start (the start fell between two
    snapshots, or in a gap in the data), from_time is that last sighting, so a reader can tell how old the
    reference is; one last seen more than a window length before the start is too old to stand for it.
    Without a reference (the pair is new, or back after a longer silence) the move is from the oldest run
    seen inside the window, from_time its acceptance; None when no run was seen inside either.
    The new observation itself is not in `history`.
    """
    start = at - length
    # runs never overlap and are in time order, so both their starts and their ends ascend
    known = bisect_right(history, start, key=_since) - 1
    if known >= 0 and history[known].until >= start - length:
        reference = history[known]
        return _window_move(reference.rate, min(reference.until, start), rate)
    # no rate known at the start: every run that ends inside the window began after it
    for run in itertools.islice(history, bisect_left(history, start, key=_until), None):
        if run.since <= at:
            return _window_move(run.rate, run.since, rate)
    return None


def _window_move(from_rate: str, from_time: datetime, rate: str) -> WindowMove:
    change, change_pct, ticks = move(from_rate, rate)
    return WindowMove(from_rate, from_time, change, change_pct, ticks)


def _since(run: RateRun) -> datetime:
    return run.since


def _until(run: RateRun) -> datetime:
    return run.until


def window_moves(
    history: Sequence[RateRun], rate: str, at: datetime, windows: Sequence[Window]
) -> tuple[tuple[str, WindowMove | None], ...]:
    """(window name, move or None) for every configured window, in configured order."""
    return tuple((window.name, window_move(history, rate, at, window.length)) for window in windows)


def compute_delta(
    *,
    site: str,
    pair: str,
    snapshot_id: str,
    previous: RateReading,
    current: RateReading,
    history: Sequence[RateRun],
    rules: StreamRules,
) -> RateDelta:
    """The delta from the previous accepted reading to the current one, with its window moves.

    `history` is the pair's runs before the current observation (oldest first). The caller guarantees
    current.at >= previous.at (late observations never reach here) and positive rates.
    """
    previous_rate = parse_decimal(previous.rate)
    change, change_pct, ticks = move(previous.rate, current.rate)
    tick = common_tick(previous.rate, current.rate)
    return RateDelta(
        site=site,
        pair=pair,
        snapshot_id=snapshot_id,
        previous=previous,
        current=current,
        change=change,
        change_pct=change_pct,
        change_bps=ratio(change, previous_rate, 10_000, BPS_PLACES),
        tick_size=tick,
        change_ticks=ticks,
        quantised=is_quantised(ticks, previous_rate, tick, rules.quantisation_threshold_pct),
        windows=window_moves(history, current.rate, current.at, rules.windows),
    )
