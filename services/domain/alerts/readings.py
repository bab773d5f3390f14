"""What a rule reads from one rate delta or staleness event: the value, whether it trips, and the words."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from services.domain.alerts.rules import Rule
from services.domain.decimals import decimal_text, parse_decimal
from services.domain.instants import format_instant, seconds
from services.domain.ticker.deltas import RateDelta
from services.domain.ticker.rules import parse_duration
from services.domain.ticker.staleness import Liveness, StalenessEvent

#: (instant, step): compared as a tuple
Position = tuple[datetime, int]
_PER_STEP_LABEL = {
    "change_pct": "change since the previous rate",
    "reported_change_pct": "page-reported change",
}


@dataclass(frozen=True)
class Reading:
    """A rule's view of one event: `trips` says whether the alert condition holds."""

    value: str | None
    trips: bool
    #: threshold and direction were met but the move was too few ticks (or flagged quantised) to count
    rounding: bool
    summary: str


def event_time(event: RateDelta | StalenessEvent) -> datetime:
    """When the event happened: the new rate's fetch time, or the staleness event's time."""
    return event.event_time if isinstance(event, StalenessEvent) else event.current.at


def stream_position(event: RateDelta | StalenessEvent) -> Position:
    """Where an event stands in its (site, pair) stream, for telling replays from news.

    Deltas follow their event time. Staleness events do not: a 'recovered' carries the fetch time of the
    new data, which can be earlier than the timer's 'stale' detection time. Their order is the silence
    they belong to (last_seen, which only moves forward) and, inside it, stale before recovered.
    """
    if isinstance(event, StalenessEvent):
        return event.last_seen, 0 if event.state is Liveness.STALE else 1
    return event.current.at, 0


def applies(rule: Rule, event: RateDelta | StalenessEvent) -> bool:
    """Whether the rule evaluates this event at all: metric family and pair pattern."""
    wants_staleness = rule.metric == "staleness"
    return wants_staleness == isinstance(event, StalenessEvent) and rule.matches(event.pair)


def read(rule: Rule, event: RateDelta | StalenessEvent) -> Reading | None:
    """The rule's reading of an event it applies to; None when the value cannot be known (no such window)."""
    if isinstance(event, StalenessEvent):
        return _read_staleness(rule, event)
    if rule.metric == "window_move_pct":
        move = dict(event.windows).get(rule.window or "")
        if move is None:
            return None
        value, ticks, quantised = decimal_text(move.change_pct), move.change_ticks, False
    else:
        computed = rule.metric == "change_pct"
        value = decimal_text(event.change_pct) if computed else event.current.change_pct
        # the quantised flag describes our computed step; the page's own figure is not rounded by us
        ticks, quantised = event.change_ticks, event.quantised and computed
    meets = meets_threshold(rule, parse_decimal(value))
    real = abs(ticks) >= rule.min_ticks and not quantised
    trips = meets and real
    return Reading(
        value=value,
        trips=trips,
        rounding=meets and not real,
        summary=_move_summary(rule, event, value)
        if trips
        else _cleared_summary(rule, event, value, ticks, meets),
    )


def meets_threshold(rule: Rule, value: Decimal) -> bool:
    """Direction and size: 'up' needs a rise of at least threshold, 'down' a fall, 'any' either."""
    if rule.direction == "up":
        return value > 0 and value >= rule.threshold
    if rule.direction == "down":
        return value < 0 and -value >= rule.threshold
    return value != 0 and abs(value) >= rule.threshold


def signed(value: str) -> str:
    """'1.748252' -> '+1.748252'; negatives and zero keep their printed form."""
    return f"+{value}" if parse_decimal(value) > 0 else value


def human_seconds(seconds: Decimal) -> str:
    """21605 -> '6h 0m 5s', 3600 -> '1h': whole units from the largest to the smallest non-zero one."""
    remaining = int(seconds)
    parts: list[tuple[int, str]] = []
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m"), (1, "s")):
        amount, remaining = divmod(remaining, size)
        parts.append((amount, unit))
    nonzero = [index for index, (amount, _) in enumerate(parts) if amount]
    if not nonzero:
        return "0s"
    return " ".join(f"{amount}{unit}" for amount, unit in parts[nonzero[0] : nonzero[-1] + 1])


def _read_staleness(rule: Rule, event: StalenessEvent) -> Reading:
    # the silence as pagewire.staleness/1 prints it (whole seconds as an integer), never negative
    silent = Decimal(str(seconds(max(event.silent, timedelta(0)))))
    pair, site, quiet = event.pair, event.site, human_seconds(silent)
    if event.state is Liveness.STALE:
        trips = silent >= rule.threshold
        last_seen = format_instant(event.last_seen)
        summary = f"{pair} on {site} is stale: no observation for {quiet} (last seen {last_seen})"
    else:
        trips = False
        summary = f"{pair} on {site} recovered after {quiet} without observations"
    return Reading(value=decimal_text(silent), trips=trips, rounding=False, summary=summary)


def _label(rule: Rule) -> str:
    return f"move in {rule.window}" if rule.metric == "window_move_pct" else _PER_STEP_LABEL[rule.metric]


def _move_summary(rule: Rule, event: RateDelta, value: str) -> str:
    pair, site, rate = event.pair, event.site, event.current.rate
    if rule.metric == "window_move_pct":
        window = rule.window or ""
        start = dict(event.windows)[window]
        assert start is not None  # read() returned None for a missing window
        age = event.current.at - start.from_time
        if age <= parse_duration(window, "window"):
            return f"{pair} moved {signed(value)}% in {window} on {site} ({start.from_rate} -> {rate})"
        # the rate known at the window start was last seen before it (a gap in the data): say how old
        seen = human_seconds(Decimal(str(seconds(age))))
        reference = f"{start.from_rate}, seen {seen} ago"
        return f"{pair} moved {signed(value)}% in {window} on {site} ({reference} -> {rate})"
    if rule.metric == "change_pct":
        start_rate = event.previous.rate
        return f"{pair} moved {signed(value)}% since the previous rate on {site} ({start_rate} -> {rate})"
    return f"{pair} changed {signed(value)}% as reported on {site} (rate {rate})"


def _cleared_summary(rule: Rule, event: RateDelta, value: str, ticks: int, meets: bool) -> str:
    pair, site = event.pair, event.site
    if meets:
        ticks_text = f"{ticks} tick" + ("" if abs(ticks) == 1 else "s")
        return f"{pair} {_label(rule)} on {site} is back within rounding (now {signed(value)}%, {ticks_text})"
    limit = decimal_text(rule.threshold)
    return f"{pair} {_label(rule)} on {site} is back within {limit}% (now {signed(value)}%)"
