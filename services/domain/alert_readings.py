"""What a rule reads from one rate delta or staleness event: the value, whether it trips, and the words."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from services.domain.alert_rules import Rule
from services.domain.decimals import decimal_text, parse_decimal
from services.domain.errors import SchemaError
from services.domain.instants import parse_instant

#: (instant, step): compared as a tuple
Position = tuple[datetime, int]
RATE_DELTA: Final = "pagewire.rate_delta/1"
STALENESS: Final = "pagewire.staleness/1"
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


def event_kind(event: Mapping[str, Any]) -> str:
    kind = event.get("schema")
    if kind not in (RATE_DELTA, STALENESS):
        raise SchemaError(
            f"alert rules read {RATE_DELTA} and {STALENESS} events, not {kind!r}", reason="wrong_schema"
        )
    return str(kind)


def stream_position(event: Mapping[str, Any]) -> Position:
    """Where an event stands in its (site, pair) stream, for telling replays from news.

    Deltas follow their event time. Staleness events do not: a 'recovered' carries the fetch time of the
    new data, which can be earlier than the timer's 'stale' detection time. Their order is the silence
    they belong to (last_seen, which only moves forward) and, inside it, stale before recovered.
    """
    if event_kind(event) == STALENESS:
        return parse_instant(event["last_seen"]), 0 if event["state"] == "stale" else 1
    return parse_instant(event["event_time"]), 0


def applies(rule: Rule, event: Mapping[str, Any]) -> bool:
    """Whether the rule evaluates this event at all: metric family and pair pattern."""
    wants_staleness = rule.metric == "staleness"
    return wants_staleness == (event_kind(event) == STALENESS) and rule.matches(str(event["pair"]))


def read(rule: Rule, event: Mapping[str, Any]) -> Reading | None:
    """The rule's reading of an event it applies to; None when the value cannot be known (no such window)."""
    if rule.metric == "staleness":
        return _read_staleness(rule, event)
    if rule.metric == "window_move_pct":
        move = (event.get("windows") or {}).get(rule.window)
        if move is None:
            return None
        value, ticks, quantised = str(move["change_pct"]), int(move["change_ticks"]), False
    else:
        value, ticks, quantised = (
            str(event[rule.metric]),
            int(event["change_ticks"]),
            bool(event["quantised"]),
        )
        # the quantised flag describes our computed step; the page's own figure is not rounded by us
        quantised = quantised and rule.metric == "change_pct"
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


def _read_staleness(rule: Rule, event: Mapping[str, Any]) -> Reading:
    silent = Decimal(str(event["silent_seconds"]))
    pair, site, quiet = event["pair"], event["site"], human_seconds(silent)
    if event["state"] == "stale":
        trips = silent >= rule.threshold
        summary = f"{pair} on {site} is stale: no observation for {quiet} (last seen {event['last_seen']})"
    else:
        trips = False
        summary = f"{pair} on {site} recovered after {quiet} without observations"
    return Reading(value=decimal_text(silent), trips=trips, rounding=False, summary=summary)


def _label(rule: Rule) -> str:
    return f"move in {rule.window}" if rule.metric == "window_move_pct" else _PER_STEP_LABEL[rule.metric]


def _move_summary(rule: Rule, event: Mapping[str, Any], value: str) -> str:
    pair, site, rate = event["pair"], event["site"], event["rate"]
    if rule.metric == "window_move_pct":
        start = event["windows"][rule.window]["from_rate"]
        return f"{pair} moved {signed(value)}% in {rule.window} on {site} ({start} -> {rate})"
    if rule.metric == "change_pct":
        start = event["previous_rate"]
        return f"{pair} moved {signed(value)}% since the previous rate on {site} ({start} -> {rate})"
    return f"{pair} changed {signed(value)}% as reported on {site} (rate {rate})"


def _cleared_summary(rule: Rule, event: Mapping[str, Any], value: str, ticks: int, meets: bool) -> str:
    pair, site = event["pair"], event["site"]
    if meets:
        ticks_text = f"{ticks} tick" + ("" if abs(ticks) == 1 else "s")
        return f"{pair} {_label(rule)} on {site} is back within rounding (now {signed(value)}%, {ticks_text})"
    limit = decimal_text(rule.threshold)
    return f"{pair} {_label(rule)} on {site} is back within {limit}% (now {signed(value)}%)"
