"""An alert as the domain knows it (pagewire.alert/1 on the wire), and the events the alert rules read."""

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from services.domain.alerts.rules import Direction, Metric, Severity
from services.domain.ticker.deltas import RateDelta
from services.domain.ticker.staleness import StalenessEvent

AlertStatus = Literal["firing", "resolved"]
DeliveryOutcome = Literal["delivered", "dead_lettered", "filtered"]
#: what the rules evaluate: an accepted rate change, or a pair going stale or recovering
AlertEvent = RateDelta | StalenessEvent


@dataclass(frozen=True)
class Alert:
    """One firing or resolved alert of a group (rule|site|pair); `alert_id` is its idempotency key.

    `value` and `threshold` are decimal strings as printed (percent, or seconds of silence); value is None
    only when the rule's window could not be read.
    """

    alert_id: str
    group_key: str
    status: AlertStatus
    rule: str
    severity: Severity
    metric: Metric
    window: str | None
    site: str
    pair: str
    value: str | None
    threshold: str
    direction: Direction
    summary: str
    snapshot_id: str
    event_time: datetime


@dataclass(frozen=True)
class AlertDelivery:
    """How one alert went to one destination (pagewire.alert_delivery/1): delivered, dead-lettered after
    `attempts` (with the last status and the reason), or filtered out by the destination's filter."""

    alert: Alert
    destination: str
    kind: str
    outcome: DeliveryOutcome
    attempts: int
    status_code: int | None
    reason: str | None
    completed_at: datetime
