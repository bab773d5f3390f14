"""`pagewire alerts test`: alerts a rules file would raise for recorded events, as a table or JSON lines."""

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from services.cli import cli
from services.common.codec import validate
from tests.support.alerts import move, rate_delta, snapshot, staleness

# a wide, colourless terminal so the table is not wrapped and the text is exact
TERMINAL = {"COLUMNS": "160", "FORCE_COLOR": None, "NO_COLOR": "1"}
RULES_TOML = """
[[rules]]
name = "move-1h"
pair = "*/USD"
metric = "window_move_pct"
window = "1h"
threshold = "1"
min_ticks = 2
severity = "warning"
cooldown = "30m"
"""


def write_events(path: Path, events: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(event) + "\n" for event in events))
    return path


@pytest.fixture
def rules_file(tmp_path: Path) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(RULES_TOML)
    return path


@pytest.fixture
def events_file(tmp_path: Path) -> Path:
    back = {"1h": move("0.01144", "0.0002", "0.174825", 2)}
    events = [
        rate_delta(1, "2025-02-19T07:00:00Z"),
        rate_delta(2, "2025-02-19T07:10:00Z"),
        rate_delta(3, "2025-02-19T08:00:00Z", windows=back),
    ]
    return write_events(tmp_path / "deltas.jsonl", events)


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, ["alerts", "test", *map(str, args)], env=TERMINAL)


def lines(result: Result) -> list[str]:
    return [line.rstrip() for line in result.output.splitlines()]


def test_a_table_shows_the_alerts_and_a_tally_of_everything_else(rules_file: Path, events_file: Path) -> None:
    result = invoke("--rules", rules_file, "--deltas", events_file)
    assert result.exit_code == 0, result.output
    assert lines(result) == [
        " " * 49 + "Alerts the rules would raise",
        "",
        "  Event time             Status     Severity   Rule      Summary",
        " " + "─" * 125,
        "  2025-02-19T07:00:00Z   firing     warning    move-1h   "
        "KGS/USD moved +1.748252% in 1h on timesca.com (0.01144 -> 0.01164)",
        "  2025-02-19T08:00:00Z   resolved   warning    move-1h   "
        "KGS/USD move in 1h on timesca.com is back within 1% (now +0.174825%)",
        "",
        "2 alerts (1 firing, 1 resolved) from 3 events; 1 suppressed by cooldown, "
        "0 superseded by a more severe rule, 0 within rounding, 0 late. Nothing was sent.",
    ]


def test_json_prints_one_valid_alert_event_per_line(rules_file: Path, events_file: Path) -> None:
    result = invoke("--rules", rules_file, "--deltas", events_file, "--json")
    assert result.exit_code == 0, result.output
    alerts = [json.loads(line) for line in result.output.splitlines()]
    for alert in alerts:
        validate(alert)
    assert [(alert["status"], alert["snapshot_id"], alert["value"]) for alert in alerts] == [
        ("firing", snapshot(1), "1.748252"),
        ("resolved", snapshot(3), "0.174825"),
    ]


def test_the_default_rules_apply_when_no_rules_file_is_given(tmp_path: Path) -> None:
    events = write_events(tmp_path / "e.jsonl", [staleness(1, "2025-02-19T12:00:05Z", "stale", 21605)])
    result = invoke("--deltas", events, "--json")
    assert result.exit_code == 0, result.output
    [alert] = [json.loads(line) for line in result.output.splitlines()]
    assert (alert["rule"], alert["group_key"]) == ("pair-stale", "pair-stale|timesca.com|UZS/USD")


def test_page_text_prints_as_written_not_as_terminal_markup(rules_file: Path, tmp_path: Path) -> None:
    events = write_events(
        tmp_path / "e.jsonl", [rate_delta(1, "2025-02-19T07:00:00Z", site="[bold]x[/bold].com")]
    )
    result = invoke("--rules", rules_file, "--deltas", events)
    assert result.exit_code == 0, result.output
    assert "on [bold]x[/bold].com (0.01144 -> 0.01164)" in result.output


def test_no_alerts_gives_just_the_tally(rules_file: Path, tmp_path: Path) -> None:
    events = write_events(tmp_path / "e.jsonl", [rate_delta(1, "2025-02-19T07:00:00Z", pair="KGS/RUB")])
    result = invoke("--rules", rules_file, "--deltas", events)
    assert lines(result) == [
        "0 alerts (0 firing, 0 resolved) from 1 event; 0 suppressed by cooldown, "
        "0 superseded by a more severe rule, 0 within rounding, 0 late. Nothing was sent."
    ]


def test_a_bad_line_is_reported_with_its_number(rules_file: Path, tmp_path: Path) -> None:
    events = tmp_path / "e.jsonl"
    events.write_text(json.dumps(rate_delta(1, "2025-02-19T07:00:00Z")) + "\n\n" + '{"schema": "other/1"}\n')
    result = invoke("--rules", rules_file, "--deltas", events)
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {events}:3: expected a pagewire.rate_delta/1 or pagewire.staleness/1 message\n"
    )


def test_an_invalid_message_is_reported_with_the_schema_problem(rules_file: Path, tmp_path: Path) -> None:
    broken = {**rate_delta(1, "2025-02-19T07:00:00Z"), "rate": "1e-5"}
    events = write_events(tmp_path / "e.jsonl", [broken])
    result = invoke("--rules", rules_file, "--deltas", events)
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {events}:1: pagewire.rate_delta/1: data.rate must match pattern")


def test_a_broken_rules_file_is_reported_with_its_name(tmp_path: Path, events_file: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - name: r\n    metric: change_pct\n    threshold: 1.5\n    severity: info\n")
    result = invoke("--rules", rules, "--deltas", events_file)
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {rules}: rule 'r': threshold: write it as a string, e.g. \"1.5\", so it stays exact\n"
    )


def test_events_read_from_stdin_give_the_same_alerts_and_errors_name_stdin(
    rules_file: Path, events_file: Path
) -> None:
    from_file = invoke("--rules", rules_file, "--deltas", events_file, "--json")
    piped = CliRunner().invoke(
        cli,
        ["alerts", "test", "--rules", str(rules_file), "--deltas", "-", "--json"],
        input=events_file.read_bytes(),
        env=TERMINAL,
    )
    assert (piped.exit_code, piped.output) == (0, from_file.output)

    broken = CliRunner().invoke(
        cli, ["alerts", "test", "--deltas", "-"], input=b'\n{"schema": "other/1"}\n', env=TERMINAL
    )
    assert broken.exit_code == 1
    assert "stdin:2: expected a pagewire.rate_delta/1 or pagewire.staleness/1 message" in broken.output
