"""The rule engine: firing, cooldown, escalation, resolving, quantisation, staleness and replayable ids."""

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

import pytest

from services.common.codec import validate
from services.domain.alerts.alert import AlertEvent
from services.domain.alerts.engine import Evaluation, GroupState, evaluate, group_keys
from services.domain.alerts.rules import Rule
from services.domain.errors import SchemaError
from services.domain.messages import alert_event_of, alert_message
from tests.support.alerts import delta_event, move, rules, snapshot, stale_event

MOVE_1H = {
    "name": "move-1h",
    "pair": "*",
    "metric": "window_move_pct",
    "window": "1h",
    "threshold": "1",
    "min_ticks": 2,
    "severity": "warning",
    "cooldown": "30m",
}
MOVE_1H_CRITICAL = {**MOVE_1H, "name": "move-1h-critical", "threshold": "3", "severity": "critical"}
STALE = {"name": "stale", "metric": "staleness", "threshold": "0", "severity": "warning", "cooldown": "6h"}


def hour_move(change_pct: str, ticks: int = 20) -> dict[str, Any]:
    return {"1h": move("0.01144", "0.0002", change_pct, ticks)}


def run(
    rule_set: Sequence[Rule], events: Iterable[AlertEvent]
) -> tuple[list[Evaluation], dict[str, GroupState]]:
    """Feed events in order, threading states as a worker would; every alert is schema-checked."""
    states: dict[str, GroupState] = {}
    evaluations = []
    for event in events:
        evaluation = evaluate(rule_set, event, states)
        for alert in published(evaluation):
            validate(alert)
        states.update(evaluation.states)
        evaluations.append(evaluation)
    return evaluations, states


def published(evaluation: Evaluation) -> list[dict[str, Any]]:
    """The evaluation's alerts as the worker publishes them on `alerts`."""
    return [alert_message(alert) for alert in evaluation.alerts]


def kinds(evaluation: Evaluation) -> list[tuple[str, str]]:
    return [(outcome.kind, outcome.rule) for outcome in evaluation.decisions]


def expected_id(key: str, status: str, n: int, window: str | None) -> str:
    return hashlib.sha256(f"{key}|{status}|{snapshot(n)}|{window or ''}".encode()).hexdigest()[:32]


def test_a_move_over_the_threshold_fires_one_alert_with_every_field() -> None:
    [evaluation], states = run(rules(MOVE_1H), [delta_event(1, "2025-02-19T07:00:00Z")])
    key = "move-1h|timesca.com|KGS/USD"
    assert published(evaluation) == [
        {
            "schema": "pagewire.alert/1",
            "alert_id": expected_id(key, "firing", 1, "1h"),
            "group_key": key,
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
            "snapshot_id": snapshot(1),
            "event_time": "2025-02-19T07:00:00Z",
        }
    ]
    assert states[key].to_dict() == {
        "firing": True,
        "last_fired": "2025-02-19T07:00:00Z",
        "seen_at": "2025-02-19T07:00:00Z",
        "seen_step": 0,
    }


def test_a_move_against_a_reference_from_before_the_window_says_how_old_it_is() -> None:
    """After a 90-minute gap in the snapshots, the 1h window's reference is the rate last seen 30 minutes
    before the window started (services.domain.ticker.deltas.window_move): the summary gives its age."""
    windows = {"1h": move("0.01144", "0.0002", "1.748252", 20, at="2025-02-19T05:30:00Z")}
    [evaluation], _ = run(rules(MOVE_1H), [delta_event(1, "2025-02-19T07:00:00Z", windows=windows)])
    [alert] = published(evaluation)
    assert alert["summary"] == (
        "KGS/USD moved +1.748252% in 1h on timesca.com (0.01144, seen 1h 30m ago -> 0.01164)"
    )
    assert (alert["status"], alert["value"]) == ("firing", "1.748252")


def test_firing_again_inside_the_cooldown_is_suppressed_and_counted() -> None:
    events = [delta_event(1, "2025-02-19T07:00:00Z"), delta_event(2, "2025-02-19T07:29:59Z")]
    [_, second], states = run(rules(MOVE_1H), events)
    assert published(second) == []
    assert kinds(second) == [("suppressed", "move-1h")]
    assert second.count("suppressed") == 1
    assert states["move-1h|timesca.com|KGS/USD"].to_dict()["last_fired"] == "2025-02-19T07:00:00Z"


def test_it_fires_again_once_the_cooldown_has_passed_with_a_new_id() -> None:
    events = [delta_event(1, "2025-02-19T07:00:00Z"), delta_event(2, "2025-02-19T07:30:00Z")]
    [first, second], _ = run(rules(MOVE_1H), events)
    assert kinds(second) == [("fired", "move-1h")]
    assert published(second)[0]["alert_id"] == expected_id("move-1h|timesca.com|KGS/USD", "firing", 2, "1h")
    assert published(second)[0]["alert_id"] != published(first)[0]["alert_id"]


def test_a_resolved_alert_follows_when_the_move_falls_back_under_the_threshold() -> None:
    events = [
        delta_event(1, "2025-02-19T07:00:00Z"),
        delta_event(2, "2025-02-19T08:00:00Z", windows=hour_move("0.174825", 2)),
        delta_event(3, "2025-02-19T08:10:00Z", windows=hour_move("0.1", 1)),
    ]
    [_, resolved, quiet], states = run(rules(MOVE_1H), events)
    [alert] = published(resolved)
    assert alert["status"] == "resolved"
    assert alert["value"] == "0.174825"
    assert alert["summary"] == "KGS/USD move in 1h on timesca.com is back within 1% (now +0.174825%)"
    assert alert["alert_id"] == expected_id("move-1h|timesca.com|KGS/USD", "resolved", 2, "1h")
    assert kinds(quiet) == []
    assert states["move-1h|timesca.com|KGS/USD"].firing is False


def test_after_a_resolve_a_new_episode_fires_at_once_even_inside_the_cooldown() -> None:
    events = [
        delta_event(1, "2025-02-19T07:00:00Z"),
        delta_event(2, "2025-02-19T07:05:00Z", windows=hour_move("0.5", 5)),
        delta_event(3, "2025-02-19T07:10:00Z"),
    ]
    [_, resolved, again], _ = run(rules(MOVE_1H), events)
    assert kinds(resolved) == [("resolved", "move-1h")]
    assert kinds(again) == [("fired", "move-1h")]


def test_escalation_to_a_higher_severity_is_not_held_back_and_the_milder_rule_steps_aside() -> None:
    events = [
        delta_event(1, "2025-02-19T07:00:00Z", windows=hour_move("1.5")),
        delta_event(2, "2025-02-19T07:10:00Z", windows=hour_move("3.5")),
        delta_event(3, "2025-02-19T07:20:00Z", windows=hour_move("1.5")),
        delta_event(4, "2025-02-19T07:40:00Z", windows=hour_move("0.2")),
    ]
    [warning, escalated, calmer, calm], _ = run(rules(MOVE_1H, MOVE_1H_CRITICAL), events)
    assert kinds(warning) == [("fired", "move-1h")]
    assert kinds(escalated) == [("superseded", "move-1h"), ("fired", "move-1h-critical")]
    assert published(escalated)[0]["severity"] == "critical"
    # critical clears first; the warning is still open and inside its own cooldown
    assert kinds(calmer) == [("resolved", "move-1h-critical"), ("suppressed", "move-1h")]
    assert kinds(calm) == [("resolved", "move-1h")]


def test_a_sudden_big_move_speaks_once_at_its_worst_severity() -> None:
    [evaluation], states = run(
        rules(MOVE_1H, MOVE_1H_CRITICAL), [delta_event(1, "2025-02-19T07:00:00Z", windows=hour_move("4"))]
    )
    assert kinds(evaluation) == [("superseded", "move-1h"), ("fired", "move-1h-critical")]
    assert states["move-1h|timesca.com|KGS/USD"].firing is False


def test_de_escalation_resolves_the_critical_and_then_raises_the_warning() -> None:
    events = [
        delta_event(1, "2025-02-19T07:00:00Z", windows=hour_move("4")),
        delta_event(2, "2025-02-19T07:10:00Z", windows=hour_move("1.5")),
    ]
    [_, lower], _ = run(rules(MOVE_1H_CRITICAL, MOVE_1H), events)
    assert [(alert["status"], alert["rule"]) for alert in published(lower)] == [
        ("resolved", "move-1h-critical"),
        ("firing", "move-1h"),
    ]


def test_moves_of_too_few_ticks_do_not_fire_and_are_counted_as_rounding() -> None:
    coarse = {"1h": move("0.00008", "0.00001", "12.5", 1)}
    [evaluation], states = run(
        rules(MOVE_1H), [delta_event(1, "2025-02-19T07:00:00Z", pair="UZS/USD", windows=coarse)]
    )
    assert published(evaluation) == []
    assert kinds(evaluation) == [("rounding", "move-1h")]
    assert states["move-1h|timesca.com|UZS/USD"].firing is False


def test_a_quantised_delta_never_fires_a_change_rule() -> None:
    change = {"name": "step", "metric": "change_pct", "threshold": "1", "severity": "info"}
    event = delta_event(1, "2025-02-19T07:00:00Z", change_pct="12.5", change_ticks=1, quantised=True)
    [evaluation], _ = run(rules(change), [event])
    assert kinds(evaluation) == [("rounding", "step")]


def test_a_rounding_step_resolves_an_open_alert_and_says_why() -> None:
    change = {"name": "step", "metric": "change_pct", "threshold": "1", "severity": "info"}
    events = [
        delta_event(1, "2025-02-19T07:00:00Z"),
        delta_event(2, "2025-02-19T08:00:00Z", change_pct="-1.5", change_ticks=-1, quantised=True),
    ]
    [fired, resolved], _ = run(rules(change), events)
    assert published(fired)[0]["summary"] == (
        "KGS/USD moved +1.748252% since the previous rate on timesca.com (0.01144 -> 0.01164)"
    )
    assert published(resolved)[0]["summary"] == (
        "KGS/USD change since the previous rate on timesca.com is back within rounding (now -1.5%, -1 tick)"
    )


@pytest.mark.parametrize(
    ("direction", "change_pct", "fires"),
    [("up", "2", True), ("up", "-2", False), ("down", "-2", True), ("down", "2", False), ("any", "-2", True)],
)
def test_direction_picks_rises_falls_or_both(direction: str, change_pct: str, fires: bool) -> None:
    rule = {**MOVE_1H, "direction": direction}
    [evaluation], _ = run(
        rules(rule), [delta_event(1, "2025-02-19T07:00:00Z", windows=hour_move(change_pct))]
    )
    assert [alert["value"] for alert in published(evaluation)] == ([change_pct] if fires else [])


def test_the_page_reported_change_fires_with_its_own_wording() -> None:
    reported = {"name": "page", "metric": "reported_change_pct", "threshold": "2", "severity": "warning"}
    [evaluation], _ = run(
        rules(reported), [delta_event(1, "2025-02-19T07:00:00Z", reported_change_pct="-2.5")]
    )
    [alert] = published(evaluation)
    assert (alert["value"], alert["window"]) == ("-2.5", None)
    assert alert["summary"] == "KGS/USD changed -2.5% as reported on timesca.com (rate 0.01164)"


def test_a_missing_window_neither_fires_nor_resolves() -> None:
    events = [
        delta_event(1, "2025-02-19T07:00:00Z"),
        delta_event(2, "2025-02-19T08:00:00Z", windows={"1h": None}),
        delta_event(3, "2025-02-19T09:00:00Z", windows={"24h": None}),
    ]
    [_, no_window, other_window], states = run(rules(MOVE_1H), events)
    assert kinds(no_window) == [] and kinds(other_window) == []
    assert states["move-1h|timesca.com|KGS/USD"].to_dict() == {
        "firing": True,
        "last_fired": "2025-02-19T07:00:00Z",
        "seen_at": "2025-02-19T09:00:00Z",
        "seen_step": 0,
    }


def test_a_stale_pair_fires_and_recovery_resolves_it() -> None:
    events = [
        stale_event(1, "2025-02-19T12:00:05Z", "stale", 21605),
        stale_event(2, "2025-02-19T13:00:00Z", "recovered", 25200),
    ]
    [stale, recovered], _ = run(rules(STALE), events)
    [fired] = published(stale)
    assert (fired["status"], fired["metric"], fired["window"], fired["value"]) == (
        "firing",
        "staleness",
        None,
        "21605",
    )
    assert (
        fired["summary"]
        == "UZS/USD on timesca.com is stale: no observation for 6h 0m 5s (last seen 2025-02-19T06:00:00Z)"
    )
    [resolved] = published(recovered)
    assert resolved["status"] == "resolved"
    assert resolved["summary"] == "UZS/USD on timesca.com recovered after 7h without observations"


def test_a_recovery_fetched_before_the_stale_detection_still_resolves_and_replays_stay_quiet() -> None:
    # the data that ended the silence was fetched at 12:00:00, the timer noticed the silence at 12:00:05
    stale = stale_event(1, "2025-02-19T12:00:05Z", "stale", 21605)
    recovered = stale_event(2, "2025-02-19T12:00:00Z", "recovered", 21600)
    [_, resolved], states = run(rules(STALE), [stale, recovered])
    assert [alert["status"] for alert in published(resolved)] == ["resolved"]
    assert states["stale|timesca.com|UZS/USD"].to_dict()["seen_step"] == 1
    for replayed in (stale, recovered):
        assert [outcome.kind for outcome in evaluate(rules(STALE), replayed, states).decisions] == ["late"]


def test_staleness_rules_ignore_deltas_and_move_rules_ignore_staleness() -> None:
    rule_set = rules(MOVE_1H, STALE)
    assert group_keys(rule_set, delta_event(1, "2025-02-19T07:00:00Z")) == ["move-1h|timesca.com|KGS/USD"]
    assert group_keys(rule_set, stale_event(1, "2025-02-19T07:00:00Z", "stale", 21600)) == [
        "stale|timesca.com|UZS/USD"
    ]


def test_pair_patterns_choose_the_pairs_a_rule_watches() -> None:
    rule_set = rules({**MOVE_1H, "pair": "*/USD"}, {**MOVE_1H, "name": "kgs", "pair": "KGS/*"})
    assert group_keys(rule_set, delta_event(1, "2025-02-19T07:00:00Z", pair="UZS/USD")) == [
        "move-1h|timesca.com|UZS/USD"
    ]
    assert group_keys(rule_set, delta_event(1, "2025-02-19T07:00:00Z", pair="KGS/RUB")) == [
        "kgs|timesca.com|KGS/RUB"
    ]


def series() -> list[AlertEvent]:
    return [
        delta_event(1, "2025-02-19T07:00:00Z", windows=hour_move("1.5")),
        delta_event(2, "2025-02-19T07:10:00Z", windows=hour_move("3.5")),
        delta_event(3, "2025-02-19T08:00:00Z", windows=hour_move("0.1")),
        stale_event(4, "2025-02-19T12:00:05Z", "stale", 21605),
    ]


def test_a_replay_from_scratch_yields_the_same_alerts_and_ids() -> None:
    rule_set = rules(MOVE_1H, MOVE_1H_CRITICAL, STALE)
    first, _ = run(rule_set, series())
    second, _ = run(rule_set, series())
    ids = [alert["alert_id"] for evaluation in first for alert in published(evaluation)]
    assert ids == [alert["alert_id"] for evaluation in second for alert in published(evaluation)]
    assert len(ids) == len(set(ids)) == 5


def test_a_replay_onto_kept_state_is_late_and_raises_nothing() -> None:
    rule_set = rules(MOVE_1H, MOVE_1H_CRITICAL, STALE)
    _, states = run(rule_set, series())
    for event in series():
        evaluation = evaluate(rule_set, event, states)
        assert published(evaluation) == []
        assert {outcome.kind for outcome in evaluation.decisions} == {"late"}
        assert evaluation.states == {}


def test_group_state_is_small_json_and_round_trips() -> None:
    _, states = run(rules(MOVE_1H), [delta_event(1, "2025-02-19T07:00:00.250000Z")])
    for state in states.values():
        text = json.dumps(state.to_dict())
        assert GroupState.from_dict(json.loads(text)) == state
    assert GroupState().to_dict() == {"firing": False, "last_fired": None, "seen_at": None, "seen_step": 0}


def test_a_damaged_group_state_is_refused() -> None:
    with pytest.raises(SchemaError, match="not an alert group state"):
        GroupState.from_dict({"firing": "yes", "last_fired": None, "seen_at": None, "seen_step": 0})


def test_events_other_than_deltas_and_staleness_are_refused() -> None:
    with pytest.raises(SchemaError, match=r"not 'pagewire\.ticker_row/1'"):
        alert_event_of({"schema": "pagewire.ticker_row/1", "event_time": "2025-02-19T07:00:00Z"})
