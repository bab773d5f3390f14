"""Every setting is checked when a process starts, and every problem is reported at once, one line each,
naming the variable (or the config file key), the value as written and what is allowed."""

from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from services.cli import cli
from services.common.settings import Settings, SettingsError
from services.common.settings_checks import CHECKS


def problems(env: dict[str, str], config_file: Path | None = None) -> tuple[str, ...]:
    with pytest.raises(SettingsError) as raised:
        Settings.load(env, config_file=config_file)
    return raised.value.problems


def test_every_setting_has_a_check_and_every_default_passes_it() -> None:
    variables = [variable for variable, _, _ in Settings.load({}).describe()]
    assert sorted(variables) == sorted(CHECKS)


def test_every_problem_is_reported_together_naming_variable_value_and_what_is_allowed() -> None:
    found = problems(
        {
            "PAGEWIRE_KAFKA_COMPRESSION": "brotli",
            "PAGEWIRE_STORAGE_BATCH_SIZE": "-5",
            "PAGEWIRE_PRODUCER_RETRIES": "three",
            "PAGEWIRE_PRODUCER_CONNECT_TIMEOUT": "0",
            "PAGEWIRE_WORKER_STORE": "redis",
            "PAGEWIRE_WINDOWS": "1h,2x",
            "PAGEWIRE_OBSERVE_WORKER_PORT": "70000",
            "PAGEWIRE_LOG_FORMAT": "xml",
            "PAGEWIRE_LOG_LEVEL": "debug",  # any case: valid
            "PAGEWIRE_WORKER_CHANGELOG_BATCH": "0",
        }
    )
    assert found == (  # in the order of `pagewire config`
        "PAGEWIRE_KAFKA_COMPRESSION='brotli': must be one of zstd, lz4, gzip, snappy, none",
        "PAGEWIRE_STORAGE_BATCH_SIZE='-5': must be at least 1",
        "PAGEWIRE_PRODUCER_CONNECT_TIMEOUT='0': must be more than 0",
        "PAGEWIRE_PRODUCER_RETRIES='three': must be a whole number",
        "PAGEWIRE_WORKER_STORE='redis': must be one of rocksdb, memory",
        "PAGEWIRE_WINDOWS='1h,2x': window '2x': expected a whole number with s, m, h, d or w, e.g. 1h or 7d",
        "PAGEWIRE_WORKER_CHANGELOG_BATCH='0': must be at least 1",
        "PAGEWIRE_OBSERVE_WORKER_PORT='70000': must be from 0 to 65535",
        "PAGEWIRE_LOG_FORMAT='xml': must be one of json, text",
    )


def test_a_secret_in_a_bad_value_stays_masked() -> None:
    found = problems({"PAGEWIRE_DATABASE_URL": "mysql://pagewire:s3cret-pw@db.internal/pagewire"})
    assert found == (
        "PAGEWIRE_DATABASE_URL='mysql://db.internal/****': "
        "must be sqlite:///path/to/file.db or postgresql://user@host/database",
    )


def test_values_from_the_config_file_name_their_key(tmp_path: Path) -> None:
    config = tmp_path / "pagewire.toml"
    config.write_text('[kafka]\ncompression = "brotli"\n[storage]\nbatch_size = 0\n')
    assert problems({}, config) == (
        "config file [kafka] compression (PAGEWIRE_KAFKA_COMPRESSION)='brotli': "
        "must be one of zstd, lz4, gzip, snappy, none",
        "config file [storage] batch_size (PAGEWIRE_STORAGE_BATCH_SIZE)=0: must be at least 1",
    )


def test_any_command_refuses_invalid_settings_with_exit_2_and_every_line() -> None:
    env = {"PAGEWIRE_KAFKA_COMPRESSION": "brotli", "PAGEWIRE_STORAGE_BATCH_SIZE": "-5"}
    for command in (["config"], ["topics", "list"], ["worker"]):
        result = CliRunner().invoke(cli, command, env=env)
        assert (result.exit_code, result.stdout) == (2, "")
        assert result.stderr == (
            "Error: 2 invalid settings:\n"
            "  PAGEWIRE_KAFKA_COMPRESSION='brotli': must be one of zstd, lz4, gzip, snappy, none\n"
            "  PAGEWIRE_STORAGE_BATCH_SIZE='-5': must be at least 1\n"
        )


def test_config_check_reads_the_rule_and_destination_files_and_lists_every_problem(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "rules:\n"
        '  - {name: move-2h, pair: "*", metric: window_move_pct, window: 2h, threshold: "1",'
        " severity: info}\n"
        '  - {name: odd, pair: "*", metric: nope, threshold: "1", severity: info}\n'
        '  - {name: move-1h, pair: "*", metric: window_move_pct, window: 1h, threshold: "2",'
        " severity: info}\n"
    )
    destinations = tmp_path / "destinations.yaml"
    destinations.write_text(
        "destinations:\n"
        "  team: {kind: slack, url_env: PW_TEST_TEAM_URL}\n"
        "  ops: {kind: pager, url_env: PW_TEST_OPS_URL}\n"
    )
    env = {
        "PAGEWIRE_ALERT_RULES": str(rules),
        "PAGEWIRE_ALERT_DESTINATIONS": str(destinations),
        "PAGEWIRE_PRODUCER_BATCH_SIZE": "5",
    }

    result = CliRunner().invoke(cli, ["config", "--check"], env=env)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        "warning: PAGEWIRE_PRODUCER_BATCH_SIZE is not a pagewire setting; it is ignored\n"
        "Error: 3 problems:\n"
        f"  {rules}: rule 'odd': metric: expected one of window_move_pct, change_pct, reported_change_pct, "
        "staleness, got 'nope'\n"
        f"  {rules}: rule 'move-2h': window: '2h' is not one of PAGEWIRE_WINDOWS (1h, 24h, 7d)\n"
        f"  {destinations}: destination 'ops': kind: expected one of slack, discord, mattermost, teams, "
        "webhook, got 'pager'\n"
    )

    rules.write_text(
        'rules:\n  - {name: move-1h, pair: "*", metric: window_move_pct, window: 1h, threshold: "1", '
        "severity: info}\n"
    )
    destinations.write_text("destinations:\n  team: {kind: slack, url_env: PW_TEST_TEAM_URL}\n")
    fixed = {**env, "PW_TEST_TEAM_URL": "https://hooks.slack.example/T/B/x"}
    del fixed["PAGEWIRE_PRODUCER_BATCH_SIZE"]
    result = CliRunner().invoke(cli, ["config", "--check"], env=fixed)
    assert (result.exit_code, result.stderr) == (0, "")
    assert (
        result.stdout == f"ok: 66 settings, 1 alert rules ({rules}), 1 alert destinations ({destinations})\n"
    )


def test_config_check_json_gives_what_was_checked_the_problems_and_ignored_variables(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        'rules:\n  - {name: move-2h, pair: "*", metric: window_move_pct, window: 2h, threshold: "1", '
        "severity: info}\n"
    )
    env = {"PAGEWIRE_ALERT_RULES": str(rules), "PAGEWIRE_PRODUCER_BATCH_SIZE": "5"}

    result = CliRunner().invoke(cli, ["config", "--check", "--json"], env=env)
    # one stream, one document: nothing on stderr for a script to untangle
    assert (result.exit_code, result.stderr) == (2, "")
    assert orjson.loads(result.stdout) == {
        "ok": False,
        "settings": 66,
        "alert_rules": {"file": str(rules), "rules": None},
        "alert_destinations": None,
        "problems": [f"{rules}: rule 'move-2h': window: '2h' is not one of PAGEWIRE_WINDOWS (1h, 24h, 7d)"],
        "ignored_variables": ["PAGEWIRE_PRODUCER_BATCH_SIZE"],
    }

    rules.write_text(
        'rules:\n  - {name: move-1h, pair: "*", metric: window_move_pct, window: 1h, threshold: "1", '
        "severity: info}\n"
    )
    result = CliRunner().invoke(
        cli, ["config", "--check", "--json"], env={"PAGEWIRE_ALERT_RULES": str(rules)}
    )
    assert (result.exit_code, result.stderr) == (0, "")
    assert orjson.loads(result.stdout)["ok"] is True
    assert orjson.loads(result.stdout)["alert_rules"] == {"file": str(rules), "rules": 1}


def test_config_prints_the_effective_values_as_text_or_json_with_secrets_masked() -> None:
    env = {
        "PAGEWIRE_KAFKA_BOOTSTRAP": "kafka-1:9092,kafka-2:9092",
        "PAGEWIRE_DATABASE_URL": "postgresql://pagewire:s3cret-pw@db.internal/pagewire",
    }
    text = CliRunner().invoke(cli, ["config"], env=env)
    assert text.exit_code == 0
    lines = text.stdout.splitlines()
    assert len(lines) == 66
    assert "PAGEWIRE_KAFKA_BOOTSTRAP" in lines[0] and lines[0].endswith("  kafka-1:9092,kafka-2:9092")

    as_json = CliRunner().invoke(cli, ["config", "--json"], env=env)
    assert as_json.exit_code == 0 and "s3cret-pw" not in as_json.stdout
    values = orjson.loads(as_json.stdout)
    assert len(values) == 66
    assert values["PAGEWIRE_KAFKA_BOOTSTRAP"] == "kafka-1:9092,kafka-2:9092"
    assert values["PAGEWIRE_DATABASE_URL"] == "postgresql://pagewire:****@db.internal/pagewire"
    assert values["PAGEWIRE_WORKER_CHANGELOG_BATCH"] == "1000"
    assert values["PAGEWIRE_WORKER_STANDBYS"] == "1"
