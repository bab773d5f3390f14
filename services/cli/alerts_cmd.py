"""`pagewire alerts test`: which alerts a rules file would raise for recorded events, sending nothing."""

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import click
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from services.common.alert_rules_file import DEFAULT_RULES_FILE, read_rules_file
from services.common.codec import encode, validate
from services.domain.alerts.alert import Alert, AlertEvent
from services.domain.alerts.engine import DecisionKind, GroupState, evaluate
from services.domain.errors import PagewireError
from services.domain.instants import format_instant
from services.domain.messages import alert_event_of, alert_message
from services.domain.schema_ids import RATE_DELTA, STALENESS

_READABLE = (RATE_DELTA, STALENESS)


@click.group("alerts")
def command() -> None:
    """Alert rules: try them against recorded events."""


@command.command("test")
@click.option(
    "--rules",
    "rules_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=DEFAULT_RULES_FILE,
    show_default="the shipped default rules",
    help="Rules file, YAML (.yaml/.yml) or TOML (.toml).",
)
@click.option(
    "--deltas",
    "events_file",
    type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path),
    required=True,
    help="JSON lines of pagewire.rate_delta/1 and pagewire.staleness/1 messages in event order (- : stdin).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the alert events as JSON lines.")
def try_rules(rules_file: Path, events_file: Path, as_json: bool) -> None:
    """Show the alerts the rules would raise for these events; nothing is published or sent."""
    try:
        rules = read_rules_file(rules_file)
        events = list(_read_events(events_file))
    except PagewireError as exc:
        raise click.ClickException(str(exc)) from exc
    states: dict[str, GroupState] = {}
    alerts: list[Alert] = []
    counts: Counter[DecisionKind] = Counter()
    for event in events:
        evaluation = evaluate(rules, event, states)
        states.update(evaluation.states)
        alerts.extend(evaluation.alerts)
        counts.update(outcome.kind for outcome in evaluation.decisions)
    if as_json:
        for alert in alerts:
            click.echo(encode(alert_message(alert)).decode())
        return
    console = Console(highlight=False)
    if alerts:
        console.print(_table(alerts))
    console.print(Text(_tally(len(events), counts)))


def _read_events(path: Path) -> Iterator[AlertEvent]:
    """Each non-blank line one message, validated against its schema; errors name the line."""
    stdin = str(path) == "-"
    with click.open_file(str(path), encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            where = f"{'stdin' if stdin else path}:{number}"
            try:
                message = json.loads(line)
            except json.JSONDecodeError as exc:
                raise click.ClickException(f"{where}: not JSON: {exc.msg}") from exc
            if not isinstance(message, dict) or message.get("schema") not in _READABLE:
                raise click.ClickException(f"{where}: expected a {RATE_DELTA} or {STALENESS} message")
            try:
                validate(message)
            except PagewireError as exc:
                raise click.ClickException(f"{where}: {exc}") from exc
            yield alert_event_of(message)


def _table(alerts: list[Alert]) -> Table:
    table = Table(box=box.SIMPLE, title="Alerts the rules would raise")
    for column in ("Event time", "Status", "Severity", "Rule", "Summary"):
        table.add_column(column, overflow="fold")
    for alert in alerts:
        # Text, not markup: summaries carry page text, and "[...]" must print as written
        cells = (format_instant(alert.event_time), alert.status, alert.severity, alert.rule, alert.summary)
        table.add_row(*(Text(cell) for cell in cells))
    return table


def _tally(events: int, counts: Counter[DecisionKind]) -> str:
    raised = counts["fired"] + counts["resolved"]
    return (
        f"{_plural(raised, 'alert')} ({counts['fired']} firing, {counts['resolved']} resolved) "
        f"from {_plural(events, 'event')}; {counts['suppressed']} suppressed by cooldown, "
        f"{counts['superseded']} superseded by a more severe rule, {counts['rounding']} within rounding, "
        f"{counts['late']} late. Nothing was sent."
    )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
