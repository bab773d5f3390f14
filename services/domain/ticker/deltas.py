"""Rate deltas: the Decimal math of one accepted rate change and its moves over look-back windows."""

import itertools
from bisect import bisect_left
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
    """The move of the new rate against the oldest rate observed inside one window."""

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

    An observation is inside the window when its event time t satisfies at - length <= t <= at; both
    accepted observations and duplicates count, since a duplicate is the page confirming the rate. As
    duplicates are not stored one by one, `history` holds runs (RateRun) and a run was observed inside
    the window exactly when since <= at and until >= at - length. The baseline is the oldest such run
    (runs are in time order and never overlap), so from_rate is the rate of the oldest observation inside
    the window. from_time is max(since, at - length): when the run was accepted, or the window start when
    the run was already the page's rate then (it was seen before and after it with no change between).
    The new observation itself is not in `history`; with no earlier run inside, the window is None.
    """
    start = at - length
    # runs never overlap and are in time order, so their ends ascend: every run before the first one that
    # ends inside the window ended before it, and the scan can start there
    for run in itertools.islice(history, bisect_left(history, start, key=_until), None):
        if run.since <= at and run.until >= start:
            change, change_pct, ticks = move(run.rate, rate)
            return WindowMove(run.rate, max(run.since, start), change, change_pct, ticks)
    return None


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
