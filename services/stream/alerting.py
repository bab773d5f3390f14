"""The alert stage: rate deltas and staleness events through the rule engine, group states in their table."""

from collections.abc import Iterable, Sequence

from services.common.metrics import ALERTS
from services.domain.alerts.alert import AlertEvent
from services.domain.alerts.engine import GroupState, evaluate, group_keys
from services.domain.alerts.rules import Rule
from services.domain.messages import alert_message
from services.stream.outputs import Origin, Outputs
from services.stream.tables import Tables


class AlertStage:
    """Evaluates each event against the rules and publishes the alerts it raises on `alerts`."""

    def __init__(self, rules: Sequence[Rule], tables: Tables, outputs: Outputs) -> None:
        self._rules = tuple(rules)
        self._severity = {rule.name: rule.severity for rule in rules}
        self._tables = tables
        self._outputs = outputs

    def run(self, events: Iterable[AlertEvent], origin: Origin | None) -> None:
        for event in events:
            states: dict[str, GroupState] = {}
            for key in group_keys(self._rules, event):
                state = self._tables.alert_group(key)
                if state is not None:
                    states[key] = state
            evaluation = evaluate(self._rules, event, states)
            for key, state in evaluation.states.items():
                self._tables.set_alert_group(key, state)
            for alert in evaluation.alerts:
                self._outputs.emit("alerts", alert.group_key, alert_message(alert), origin)
            for outcome in evaluation.decisions:
                severity = self._severity[outcome.rule]
                ALERTS.labels(rule=outcome.rule, severity=severity, outcome=outcome.kind).inc()
