"""The pure alert rule engine: an event, the rules and their group states in; alert events and new states out.

Semantics, per group (rule|site|pair):
- a rule fires when its condition holds on an event and the group is not already firing;
- while the group is firing, the condition holding again fires a reminder only once the rule's cooldown has
  passed since the last firing; inside the cooldown it is `suppressed` (reported, so callers can count it);
- a `resolved` alert follows the first event on which the condition no longer holds (a staleness
  'recovered', or a delta whose value is back within the threshold or within rounding); an event whose
  value cannot be known (the rule's window is missing) neither fires nor resolves;
- escalation: the rules of one metric that match a site and pair form a ladder ordered by severity. Each
  rung is its own group with its own cooldown, so a higher severity is never held back by a lower rung's
  cooldown. When several rungs hold on the same event only the highest severity speaks; the lower ones are
  `superseded` (no firing, no resolve, state kept), so one move gives one message at its worst severity,
  and when the higher rung clears the lower one carries on by the rules above;
- time is event time, never the wall clock, and an event at or before the group's last one in stream order
  is `late` (see `stream_position`), so replaying the same input yields the same alerts with the same ids.
"""

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from services.domain.alerts.alert import Alert, AlertEvent, AlertStatus
from services.domain.alerts.readings import Position, Reading, applies, event_time, read, stream_position
from services.domain.alerts.rules import Rule
from services.domain.decimals import decimal_text
from services.domain.errors import SchemaError
from services.domain.evolve import evolve
from services.domain.instants import format_instant, parse_instant

DecisionKind = Literal["fired", "resolved", "suppressed", "superseded", "rounding", "late"]
_STATE_FIELDS = frozenset({"firing", "last_fired", "seen_at", "seen_step"})


@dataclass(frozen=True)
class GroupState:
    """What one group remembers between events; small and JSON-friendly for a Faust table."""

    firing: bool = False
    #: event time of the last firing alert: the cooldown runs from here
    last_fired: datetime | None = None
    #: stream position of the last event evaluated: events at or before it are late (replays)
    seen: Position | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "firing": self.firing,
            "last_fired": _instant_text(self.last_fired),
            "seen_at": _instant_text(self.seen[0] if self.seen else None),
            "seen_step": self.seen[1] if self.seen else 0,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "GroupState":
        if (
            not isinstance(data, Mapping)
            or set(data) != _STATE_FIELDS
            or not isinstance(data["firing"], bool)
            or data["seen_step"] not in (0, 1)
        ):
            raise SchemaError(f"not an alert group state: {data!r}", reason="invalid_state")
        seen_at = _instant(data["seen_at"])
        return cls(
            firing=data["firing"],
            last_fired=_instant(data["last_fired"]),
            seen=None if seen_at is None else (seen_at, int(data["seen_step"])),
        )


@dataclass(frozen=True)
class Decision:
    """One decision for one group; `alert` is set for fired and resolved."""

    kind: DecisionKind
    group_key: str
    rule: str
    alert: Alert | None = None


@dataclass(frozen=True)
class Evaluation:
    """All one event caused: decisions (resolved first) and the new state of every group it touched."""

    decisions: tuple[Decision, ...]
    states: dict[str, GroupState]

    @property
    def alerts(self) -> list[Alert]:
        """The alerts to publish, in order."""
        return [decision.alert for decision in self.decisions if decision.alert is not None]

    def count(self, kind: DecisionKind) -> int:
        return sum(1 for decision in self.decisions if decision.kind == kind)


def group_key(rule: str, site: str, pair: str) -> str:
    return f"{rule}|{site}|{pair}"


def group_keys(rules: Iterable[Rule], event: AlertEvent) -> list[str]:
    """The groups `evaluate` will read for this event, so a caller can fetch just their states."""
    return [group_key(rule.name, event.site, event.pair) for rule in rules if applies(rule, event)]


def alert_id(key: str, status: str, snapshot_id: str, window: str | None) -> str:
    """Deterministic, so a replay re-creates the same id: it is the delivery idempotency key."""
    material = "|".join((key, status, snapshot_id, window or ""))
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def evaluate(rules: Sequence[Rule], event: AlertEvent, states: Mapping[str, GroupState]) -> Evaluation:
    """Apply every matching rule to one rate delta or staleness event; missing states start idle."""
    at = event_time(event)
    position = stream_position(event)
    decisions: list[Decision] = []
    updates: dict[str, GroupState] = {}
    live: list[tuple[Rule, str, GroupState, Reading | None]] = []
    for rule in rules:
        if not applies(rule, event):
            continue
        key = group_key(rule.name, event.site, event.pair)
        state = states.get(key, GroupState())
        if state.seen is not None and position <= state.seen:
            decisions.append(Decision("late", key, rule.name))
            continue
        live.append((rule, key, state, read(rule, event)))
    worst = _worst_tripping(live)
    for rule, key, state, reading in live:
        seen = evolve(state, seen=position)
        decision, updates[key] = _decide(rule, key, seen, reading, worst, at, event)
        if decision is not None:
            decisions.append(decision)
    # a de-escalation reads better as "critical resolved, then warning firing" than the other way round
    decisions.sort(key=lambda decision: decision.kind != "resolved")
    return Evaluation(decisions=tuple(decisions), states=updates)


def _worst_tripping(live: Iterable[tuple[Rule, str, GroupState, Reading | None]]) -> dict[str, int]:
    worst: dict[str, int] = {}
    for rule, _, _, reading in live:
        if reading is not None and reading.trips:
            worst[rule.metric] = max(worst.get(rule.metric, -1), rule.rank)
    return worst


def _decide(
    rule: Rule,
    key: str,
    state: GroupState,
    reading: Reading | None,
    worst: Mapping[str, int],
    at: datetime,
    event: AlertEvent,
) -> tuple[Decision | None, GroupState]:
    """`state` already counts this event as seen; `at`, its event time, is the cooldown clock."""
    if reading is None:
        return None, state
    if reading.trips:
        if rule.rank < worst[rule.metric]:
            return Decision("superseded", key, rule.name), state
        if state.firing and state.last_fired is not None and at - state.last_fired < rule.cooldown:
            return Decision("suppressed", key, rule.name), state
        alert = _alert(rule, key, "firing", reading, event, at)
        return Decision("fired", key, rule.name, alert), evolve(state, firing=True, last_fired=at)
    if state.firing:
        alert = _alert(rule, key, "resolved", reading, event, at)
        return Decision("resolved", key, rule.name, alert), evolve(state, firing=False)
    return (Decision("rounding", key, rule.name) if reading.rounding else None), state


def _alert(
    rule: Rule, key: str, status: AlertStatus, reading: Reading, event: AlertEvent, at: datetime
) -> Alert:
    return Alert(
        alert_id=alert_id(key, status, event.snapshot_id, rule.window),
        group_key=key,
        status=status,
        rule=rule.name,
        severity=rule.severity,
        metric=rule.metric,
        window=rule.window,
        site=event.site,
        pair=event.pair,
        value=reading.value,
        threshold=decimal_text(rule.threshold),
        direction=rule.direction,
        summary=reading.summary,
        snapshot_id=event.snapshot_id,
        event_time=at,
    )


def _instant_text(moment: datetime | None) -> str | None:
    return None if moment is None else format_instant(moment)


def _instant(text: Any) -> datetime | None:
    if text is None:
        return None
    if not isinstance(text, str):
        raise SchemaError(f"alert group state: not an instant: {text!r}", reason="invalid_state")
    return parse_instant(text)
