"""`pagewire sink alerts` before it runs: where destinations come from, --check, errors that quote no URL."""

from pathlib import Path

import orjson
from click.testing import CliRunner

from services.cli import cli

TOKEN = "cli-unit-token-5"
DESTINATIONS = """
destinations:
  ops-slack:
    kind: slack
    url_env: OPS_SLACK_URL
    min_severity: warning
    pairs: ["KGS/*"]
    rate_limit: 30/m
  partner:
    kind: webhook
    url_env: PARTNER_URL
    secret_env: PARTNER_SECRET
    deadline: 10m
"""


def test_without_a_destinations_file_it_says_how_to_give_one() -> None:
    result = CliRunner().invoke(cli, ["sink", "alerts"], env={"PAGEWIRE_ALERT_DESTINATIONS": None})
    assert result.exit_code == 1
    assert result.output == (
        "Error: no alert destinations: set PAGEWIRE_ALERT_DESTINATIONS or pass --destinations "
        "(see deploy/alert-destinations.example.yaml)\n"
    )


def test_check_lists_destinations_without_their_urls(tmp_path: Path) -> None:
    path = tmp_path / "destinations.yaml"
    path.write_text(DESTINATIONS)
    env = {
        "PAGEWIRE_ALERT_DESTINATIONS": str(path),
        "OPS_SLACK_URL": f"https://hooks.slack.com/services/T0/B0/{TOKEN}",
        "PARTNER_URL": f"https://partner.example/{TOKEN}",
        "PARTNER_SECRET": "partner-secret-5",
    }
    result = CliRunner().invoke(cli, ["sink", "alerts", "--check"], env=env)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "ops-slack: slack, URL from environment variable OPS_SLACK_URL, severity >= warning, pairs KGS/*, "
        "0.5 req/s, deadline 300s, 20 attempts",
        "partner: webhook, URL from environment variable PARTNER_URL, severity >= info, pairs *, "
        "1 req/s, deadline 600s, 20 attempts",
    ]
    as_json = CliRunner().invoke(cli, ["sink", "alerts", "--check", "--json"], env=env)
    assert (as_json.exit_code, as_json.stderr) == (0, "")
    assert [orjson.loads(line) for line in as_json.stdout.splitlines()] == [
        {
            "destination": "ops-slack",
            "kind": "slack",
            "url_from": "environment variable OPS_SLACK_URL",
            "min_severity": "warning",
            "pairs": ["KGS/*"],
            "rate_per_second": 0.5,
            "deadline_seconds": 300.0,
            "max_attempts": 20,
        },
        {
            "destination": "partner",
            "kind": "webhook",
            "url_from": "environment variable PARTNER_URL",
            "min_severity": "info",
            "pairs": ["*"],
            "rate_per_second": 1.0,
            "deadline_seconds": 600.0,
            "max_attempts": 20,
        },
    ]
    assert TOKEN not in as_json.stdout


def test_a_bad_url_is_reported_by_destination_and_variable_only(tmp_path: Path) -> None:
    path = tmp_path / "destinations.yaml"
    path.write_text(DESTINATIONS)
    env = {"OPS_SLACK_URL": f"hooks.slack.com/{TOKEN}", "PARTNER_URL": "https://p.example/"}
    result = CliRunner().invoke(cli, ["sink", "alerts", "--check", "--destinations", str(path)], env=env)
    # every problem of the file at once, exit 2 as for any configuration that cannot be used
    assert result.exit_code == 2
    assert result.output == (
        "Error: 2 problems:\n"
        "  destination 'ops-slack': the URL in environment variable OPS_SLACK_URL is not an http(s) URL\n"
        "  destination 'partner': secret: environment variable PARTNER_SECRET is not set or empty\n"
    )
