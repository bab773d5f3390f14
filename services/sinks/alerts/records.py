"""What the alert sink publishes about each alert and destination: a pagewire.alert_delivery/1."""

from datetime import datetime
from typing import Any, Final, Literal

from services.domain.alerts.alert import Alert
from services.domain.alerts.chat import Kind
from services.domain.instants import format_instant
from services.domain.schema_ids import ALERT_DELIVERY

STAGE: Final = "deliver"

DeliveryOutcome = Literal["delivered", "dead_lettered", "filtered"]


def delivery_message(
    alert: Alert,
    *,
    destination: str,
    kind: Kind,
    outcome: DeliveryOutcome,
    attempts: int,
    status_code: int | None,
    reason: str | None,
    completed_at: datetime,
) -> dict[str, Any]:
    """A pagewire.alert_delivery/1 for one alert and one destination."""
    return {
        "schema": ALERT_DELIVERY,
        "alert_id": alert.alert_id,
        "destination": destination,
        "kind": kind,
        "outcome": outcome,
        "attempts": attempts,
        "status_code": status_code,
        "reason": reason,
        "snapshot_id": alert.snapshot_id,
        "event_time": format_instant(alert.event_time),
        "completed_at": format_instant(completed_at),
    }
