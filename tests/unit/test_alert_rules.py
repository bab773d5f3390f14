"""Alert rules files: the shipped default, TOML twins, and errors that name the rule and the field."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from services.common.alert_rules_file import DEFAULT_RULES_FILE, read_rules_file
from services.domain.alerts.rules import Rule, load_rules, parse_duration
from services.domain.errors import ConfigError

VALID: dict[str, Any] = {
    "name": "move-1h",
    "pair": "*/USD",
    "metric": "window_move_pct",
    "window": "1h",
    "threshold": "1.5",
    "direction": "up",
    "min_ticks": 2,
    "severity": "warning",
    "cooldown": "1h30m",
}


def test_the_shipped_default_rules_load_in_order() -> None:
    rules = read_rules_file(DEFAULT_RULES_FILE)
    assert [(rule.name, rule.metric, rule.window, rule.threshold, rule.severity) for rule in rules] == [
        ("move-1h", "window_move_pct", "1h", Decimal("1"), "warning"),
        ("move-24h", "window_move_pct", "24h", Decimal("3"), "critical"),
        ("page-reported-change", "reported_change_pct", None, Decimal("2"), "warning"),
        ("pair-stale", "staleness", None, Decimal("0"), "warning"),
    ]
    assert rules[0].min_ticks == 2 and rules[0].cooldown == timedelta(minutes=30)


def test_a_full_rule_becomes_a_frozen_rule() -> None:
    [rule] = load_rules({"rules": [VALID]})
    assert rule == Rule(
        name="move-1h",
        pair="*/USD",
        metric="window_move_pct",
        window="1h",
        threshold=Decimal("1.5"),
        direction="up",
        min_ticks=2,
        severity="warning",
        cooldown=timedelta(hours=1, minutes=30),
    )
    assert rule.matches("KGS/USD") and not rule.matches("USD/KGS")


def test_defaults_fill_pair_direction_min_ticks_and_cooldown() -> None:
    [rule] = load_rules(
        {"rules": [{"name": "r", "metric": "change_pct", "threshold": 2, "severity": "info"}]}
    )
    assert (rule.pair, rule.direction, rule.min_ticks, rule.cooldown) == (
        "*",
        "any",
        0,
        timedelta(minutes=30),
    )
    assert rule.threshold == Decimal("2")


def test_toml_and_yaml_files_give_the_same_rules(tmp_path: Path) -> None:
    toml = tmp_path / "rules.toml"
    toml.write_text(
        '[[rules]]\nname = "move-1h"\npair = "*/USD"\nmetric = "window_move_pct"\nwindow = "1h"\n'
        'threshold = "1.5"\ndirection = "up"\nmin_ticks = 2\nseverity = "warning"\ncooldown = "1h30m"\n'
    )
    yaml_file = tmp_path / "rules.yml"
    yaml_file.write_text(
        'rules:\n  - {name: move-1h, pair: "*/USD", metric: window_move_pct, window: 1h, threshold: "1.5",\n'
        "     direction: up, min_ticks: 2, severity: warning, cooldown: 1h30m}\n"
    )
    assert read_rules_file(toml) == read_rules_file(yaml_file) == load_rules({"rules": [VALID]})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"treshold": "1"},
            "rule 'move-1h': unknown field(s) 'treshold'; known: name, pair, metric, window,",
        ),
        (
            {"threshold": 1.5},
            "rule 'move-1h': threshold: write it as a string, e.g. \"1.5\", so it stays exact",
        ),
        ({"threshold": "-1"}, "rule 'move-1h': threshold: must be a finite number >= 0"),
        ({"threshold": "lots"}, "rule 'move-1h': threshold: not a decimal number: 'lots'"),
        ({"window": None}, "rule 'move-1h': window: required for window_move_pct, a window name like \"1h\""),
        ({"metric": "change_pct"}, "rule 'move-1h': window: only the window_move_pct metric takes a window"),
        ({"metric": "moves"}, "rule 'move-1h': metric: expected one of window_move_pct, change_pct,"),
        (
            {"severity": "loud"},
            "rule 'move-1h': severity: expected one of info, warning, critical, got 'loud'",
        ),
        (
            {"direction": "sideways"},
            "rule 'move-1h': direction: expected one of up, down, any, got 'sideways'",
        ),
        ({"min_ticks": -1}, "rule 'move-1h': min_ticks: expected a whole number >= 0, got -1"),
        ({"min_ticks": True}, "rule 'move-1h': min_ticks: expected a whole number >= 0, got True"),
        ({"cooldown": "30 minutes"}, "rule 'move-1h': cooldown: expected a duration like \"30m\""),
        ({"cooldown": 1800}, "rule 'move-1h': cooldown: expected a duration like \"30m\""),
        ({"pair": "kgs/*"}, "rule 'move-1h': pair: 'kgs/*' never matches: pairs are upper case like KGS/USD"),
        ({"name": "a|b"}, "rule #1: name: required, 1-64 letters, digits, '.', '_' or '-', got 'a|b'"),
    ],
)
def test_mistakes_name_the_rule_and_the_field(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_rules({"rules": [{**VALID, **change}]})
    assert str(raised.value).startswith(message)


def test_staleness_rules_take_no_direction_or_ticks() -> None:
    stale = {"name": "s", "metric": "staleness", "threshold": "0", "severity": "warning", "min_ticks": 1}
    with pytest.raises(ConfigError, match=r"^rule 's': direction and min_ticks do not apply"):
        load_rules({"rules": [stale]})


def test_rule_names_are_unique() -> None:
    with pytest.raises(ConfigError, match=r"^rule 'move-1h': name: used by more than one rule"):
        load_rules({"rules": [VALID, VALID]})


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (None, "alert rules: expected a mapping with a 'rules' list"),
        ({"rule": []}, "alert rules: unknown top-level key(s) 'rule'"),
        ({"rules": "move-1h"}, "alert rules: 'rules' must be a list of rule tables"),
        ({"rules": ["move-1h"]}, "rule #1: expected a table of fields, got str"),
    ],
)
def test_the_document_shape_is_checked(document: Any, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_rules(document)
    assert str(raised.value) == message


def test_file_errors_name_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "rules.yaml"
    broken.write_text("rules:\n  - name: x\n    pair: */USD\n")
    with pytest.raises(ConfigError, match=r"rules\.yaml: not valid YAML"):
        read_rules_file(broken)
    wrong = tmp_path / "rules.json"
    wrong.write_text("{}")
    with pytest.raises(ConfigError, match=r"rules.json: alert rules must be a \.yaml, \.yml or \.toml file"):
        read_rules_file(wrong)
    bad_rule = tmp_path / "bad.toml"
    bad_rule.write_text('[[rules]]\nname = "x"\nmetric = "staleness"\nthreshold = "0"\n')
    with pytest.raises(ConfigError, match=r"bad.toml: rule 'x': severity: required"):
        read_rules_file(bad_rule)


def test_durations_add_up_their_parts() -> None:
    assert parse_duration("1d2h3m4s", "cooldown") == timedelta(days=1, hours=2, minutes=3, seconds=4)
    assert parse_duration("0s", "cooldown") == timedelta(0)
