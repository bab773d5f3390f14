"""The destinations file on disk: YAML and TOML, URLs and secrets from env or files, errors without values."""

from pathlib import Path

import pytest

from services.common.logging import redact
from services.common.settings import AlertSinkSettings, Secret
from services.domain.errors import ConfigError
from services.sinks.alerts.destinations_file import load_targets

SLACK_URL = "https://hooks.slack.com/services/T0AAA/B0BBB/unit-test-token-1"
YAML = """
destinations:
  ops-slack:
    kind: slack
    url_env: PAGEWIRE_SLACK_URL
    min_severity: warning
  partner:
    kind: webhook
    url_file: secrets/partner_url
    secret_file: secrets/partner_secret
    deadline: 10m
"""
TOML = """
[destinations.ops-slack]
kind = "slack"
url_env = "PAGEWIRE_SLACK_URL"
min_severity = "warning"

[destinations.partner]
kind = "webhook"
url_file = "secrets/partner_url"
secret_file = "secrets/partner_secret"
deadline = "10m"
"""


def write_secrets(folder: Path) -> None:
    (folder / "secrets").mkdir()
    # secret files usually end with a newline: it is not part of the value
    (folder / "secrets" / "partner_url").write_text("https://partner.example/hooks/pagewire-unit-7\n")
    (folder / "secrets" / "partner_secret").write_text("unit-signing-secret\n")


@pytest.mark.parametrize(("name", "text"), [("destinations.yaml", YAML), ("destinations.toml", TOML)])
def test_yaml_and_toml_give_the_same_targets(tmp_path: Path, name: str, text: str) -> None:
    write_secrets(tmp_path)
    path = tmp_path / name
    path.write_text(text)
    targets = load_targets(path, AlertSinkSettings(), {"PAGEWIRE_SLACK_URL": SLACK_URL})
    assert [(t.name, t.destination.kind) for t in targets] == [("ops-slack", "slack"), ("partner", "webhook")]
    slack, partner = targets
    assert slack.url == Secret(SLACK_URL)
    assert slack.secret == Secret("")
    assert slack.destination.filter.min_severity == "warning"
    assert partner.url == Secret("https://partner.example/hooks/pagewire-unit-7")
    assert partner.secret == Secret("unit-signing-secret")
    assert partner.destination.limits.deadline_seconds == 600.0
    assert slack.destination.limits.deadline_seconds == AlertSinkSettings().deadline_seconds


def test_urls_and_secrets_are_registered_so_logs_never_show_them(tmp_path: Path) -> None:
    write_secrets(tmp_path)
    path = tmp_path / "destinations.yaml"
    path.write_text(YAML)
    load_targets(path, AlertSinkSettings(), {"PAGEWIRE_SLACK_URL": SLACK_URL})
    path_only = "/services/T0AAA/B0BBB/unit-test-token-1"
    line = f"posting to {SLACK_URL} signed with unit-signing-secret; path {path_only}"
    assert redact(line) == "posting to **** signed with ****; path ****"


def test_a_missing_variable_names_it_and_the_destination(tmp_path: Path) -> None:
    write_secrets(tmp_path)
    path = tmp_path / "destinations.yaml"
    path.write_text(YAML)
    with pytest.raises(ConfigError) as error:
        load_targets(path, AlertSinkSettings(), {})
    assert str(error.value) == (
        "destination 'ops-slack': URL: environment variable PAGEWIRE_SLACK_URL is not set or empty"
    )


def test_a_value_that_is_not_a_url_is_not_quoted_back(tmp_path: Path) -> None:
    path = tmp_path / "destinations.yaml"
    path.write_text("destinations:\n  ops:\n    kind: slack\n    url_env: SLACK\n")
    with pytest.raises(ConfigError) as error:
        load_targets(path, AlertSinkSettings(), {"SLACK": "hooks.slack.com/services/T0/B0/leaky-token"})
    assert str(error.value) == (
        "destination 'ops': the URL in environment variable SLACK is not an http(s) URL"
    )
    assert "leaky-token" not in str(error.value)


def test_an_unreadable_or_empty_secret_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "destinations.yaml"
    path.write_text(YAML)
    with pytest.raises(ConfigError, match=r"destination 'partner': URL: cannot read file .*partner_url"):
        load_targets(path, AlertSinkSettings(), {"PAGEWIRE_SLACK_URL": SLACK_URL})
    write_secrets(tmp_path)
    (tmp_path / "secrets" / "partner_secret").write_text("\n")
    with pytest.raises(ConfigError, match=r"destination 'partner': secret: file .*partner_secret is empty"):
        load_targets(path, AlertSinkSettings(), {"PAGEWIRE_SLACK_URL": SLACK_URL})


def test_file_errors_name_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "destinations.yaml"
    broken.write_text("destinations: [unclosed\n")
    with pytest.raises(ConfigError, match=r"destinations.yaml: not valid YAML"):
        load_targets(broken, AlertSinkSettings(), {})
    wrong = tmp_path / "destinations.json"
    wrong.write_text("{}")
    with pytest.raises(ConfigError, match=r"alert destinations must be a .yaml, .yml or .toml file"):
        load_targets(wrong, AlertSinkSettings(), {})
    with pytest.raises(ConfigError, match=r"missing.yaml: cannot read alert destinations"):
        load_targets(tmp_path / "missing.yaml", AlertSinkSettings(), {})
    invalid = tmp_path / "invalid.yaml"
    invalid.write_text("destinations:\n  ops:\n    kind: irc\n    url_env: U\n")
    with pytest.raises(ConfigError, match=r"invalid.yaml: destination 'ops': kind: expected one of"):
        load_targets(invalid, AlertSinkSettings(), {})


def test_the_shipped_example_is_valid(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parents[2] / "deploy" / "alert-destinations.example.yaml"
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "discord_webhook_url").write_text("https://discord.com/api/webhooks/1/example")
    (secrets / "risk_webhook_secret").write_text("example-secret")
    copy = tmp_path / "destinations.yaml"
    copy.write_text(example.read_text().replace("/run/secrets/", "secrets/"))
    env = {
        name: "https://chat.example/hooks/example"
        for name in ("PAGEWIRE_SLACK_URL", "PAGEWIRE_MATTERMOST_URL", "PAGEWIRE_TEAMS_URL")
    }
    env["PAGEWIRE_RISK_WEBHOOK_URL"] = "https://risk.example/alerts"
    targets = load_targets(copy, AlertSinkSettings(), env)
    assert {target.destination.kind for target in targets} == {
        "slack",
        "discord",
        "mattermost",
        "teams",
        "webhook",
    }
