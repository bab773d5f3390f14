"""Builders of wire messages for alert tests: rate deltas, staleness events and alerts, all schema-valid."""

import hashlib
from typing import Any

from services.common.codec import validate
from services.domain.alerts.alert import Alert
from services.domain.alerts.rules import Rule, load_rules
from services.domain.messages import alert_event_of, alert_of
from services.domain.ticker.deltas import RateDelta
from services.domain.ticker.staleness import StalenessEvent

INJECTION = "<!channel> @everyone [click](http://evil) *bold* <@123> <https://x|y>"


def snapshot(n: int) -> str:
    return hashlib.sha256(f"snapshot-{n}".encode()).hexdigest()


def move(
    from_rate: str, change: str, change_pct: str, ticks: int, at: str = "2025-02-19T06:00:00Z"
) -> dict[str, Any]:
    return {
        "from_rate": from_rate,
        "from_time": at,
        "change": change,
        "change_pct": change_pct,
        "change_ticks": ticks,
    }


def rate_delta(
    n: int,
    at: str,
    *,
    windows: dict[str, Any] | None = None,
    pair: str = "KGS/USD",
    site: str = "timesca.com",
    previous_rate: str = "0.01144",
    rate: str = "0.01164",
    change_pct: str = "1.748252",
    change_ticks: int = 20,
    quantised: bool = False,
    reported_change_pct: str = "0",
) -> dict[str, Any]:
    """A valid pagewire.rate_delta/1; numbers are not recomputed, tests set what they need."""
    message = {
        "schema": "pagewire.rate_delta/1",
        "snapshot_id": snapshot(n),
        "site": site,
        "pair": pair,
        "event_time": at,
        "previous_time": "2025-02-19T06:00:00Z",
        "previous_rate": previous_rate,
        "rate": rate,
        "change": "0.0002",
        "change_pct": change_pct,
        "change_bps": "174.8252",
        "reported_change_pct": reported_change_pct,
        "previous_reported_change_pct": "0",
        "seconds_since_previous": 3600,
        "tick_size": "0.00001",
        "change_ticks": change_ticks,
        "quantised": quantised,
        "windows": windows if windows is not None else {"1h": move("0.01144", "0.0002", "1.748252", 20)},
    }
    validate(message)
    return message


def delta_event(n: int, at: str, **fields: Any) -> RateDelta:
    """The RateDelta of rate_delta(n, at, **fields), as the worker hands it to the alert rules."""
    event = alert_event_of(rate_delta(n, at, **fields))
    assert isinstance(event, RateDelta)
    return event


def stale_event(n: int, at: str, state: str, silent: int, *, pair: str = "UZS/USD") -> StalenessEvent:
    """The StalenessEvent of staleness(...), as the worker hands it to the alert rules."""
    event = alert_event_of(staleness(n, at, state, silent, pair=pair))
    assert isinstance(event, StalenessEvent)
    return event


def staleness(n: int, at: str, state: str, silent: int, *, pair: str = "UZS/USD") -> dict[str, Any]:
    message = {
        "schema": "pagewire.staleness/1",
        "snapshot_id": snapshot(n),
        "site": "timesca.com",
        "pair": pair,
        "state": state,
        "event_time": at,
        "last_seen": "2025-02-19T06:00:00Z",
        "stale_after_seconds": 21600,
        "silent_seconds": silent,
    }
    validate(message)
    return message


def rules(*tables: dict[str, Any]) -> tuple[Rule, ...]:
    return load_rules({"rules": list(tables)})


def alert(**overrides: Any) -> dict[str, Any]:
    """The schema's example alert, with overrides; validated."""
    message: dict[str, Any] = {
        "schema": "pagewire.alert/1",
        "alert_id": "9c4b2e7d1a0f3e5c8b6d4a2f0e1c3b5d",
        "group_key": "move-1h|timesca.com|KGS/USD",
        "status": "firing",
        "rule": "move-1h",
        "severity": "warning",
        "metric": "window_move_pct",
        "window": "1h",
        "site": "timesca.com",
        "pair": "KGS/USD",
        "value": "1.748252",
        "threshold": "1",
        "direction": "any",
        "summary": "KGS/USD moved +1.748252% in 1h on timesca.com (0.01144 -> 0.01164)",
        "snapshot_id": "5d1c7e0b2a9f4e8c3b6a1d0e9f8c7b6a5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a",
        "event_time": "2025-02-19T07:00:00Z",
    }
    message.update(overrides)
    validate(message)
    return message


def alert_value(**overrides: Any) -> Alert:
    """The Alert of alert(**overrides), as the alert sink reads it from the topic."""
    return alert_of(alert(**overrides))
