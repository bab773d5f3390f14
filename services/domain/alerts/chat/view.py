"""What every chat message says about an alert, before any chat's markup: title, summary, facts, colour."""

from dataclasses import dataclass
from typing import Final

from services.domain.alerts.alert import Alert
from services.domain.alerts.readings import signed
from services.domain.instants import format_instant

#: severity (or 'resolved') -> marker, RGB colour and Adaptive Card text colour
_LOOK: Final = {
    "critical": ("🔴", 0xD32F2F, "Attention"),
    "warning": ("🟠", 0xF9A825, "Warning"),
    "info": ("🔵", 0x1976D2, "Accent"),
    "resolved": ("✅", 0x2E7D32, "Good"),
}
_MEASURES: Final = {
    "change_pct": "change since the previous rate",
    "reported_change_pct": "page-reported change",
    "staleness": "silence",
}
_DIRECTIONS: Final = {"up": "up", "down": "down", "any": "either way"}


@dataclass(frozen=True)
class AlertView:
    """Raw (unescaped) text of one alert; builders escape and cut it for their chat."""

    alert_id: str
    title: str
    summary: str
    facts: tuple[tuple[str, str], ...]
    footer: str
    event_time: str
    epoch_seconds: int
    colour: int
    card_colour: str


def describe(alert: Alert) -> AlertView:
    """The view of one alert."""
    look = "resolved" if alert.status == "resolved" else alert.severity
    marker, colour, card_colour = _LOOK[look]
    event_time = format_instant(alert.event_time)
    return AlertView(
        alert_id=alert.alert_id,
        title=f"{marker} {look.upper()} · {alert.pair} · {alert.rule}",
        summary=alert.summary,
        facts=(
            ("Severity", alert.severity),
            ("Status", alert.status),
            ("Rule", alert.rule),
            ("Pair", alert.pair),
            ("Site", alert.site),
            ("Measure", measure(alert)),
            ("Value", value(alert)),
            ("Threshold", threshold(alert)),
            ("Event time", event_time),
        ),
        footer=f"pagewire alert {alert.alert_id} · snapshot {alert.snapshot_id[:12]}",
        event_time=event_time,
        epoch_seconds=int(alert.event_time.timestamp()),
        colour=colour,
        card_colour=card_colour,
    )


def measure(alert: Alert) -> str:
    if alert.metric == "window_move_pct":
        return f"move in {alert.window}"
    return _MEASURES[alert.metric]


def value(alert: Alert) -> str:
    if alert.value is None:
        return "n/a"
    if alert.metric == "staleness":
        return f"{alert.value} s"
    return f"{signed(alert.value)}%"


def threshold(alert: Alert) -> str:
    if alert.metric == "staleness":
        return f"≥ {alert.threshold} s silent"
    return f"≥ {alert.threshold}% {_DIRECTIONS[alert.direction]}"
