"""Alert destinations as data: parsing, defaults, validation messages and the per-destination filter."""

from typing import Any

import pytest

from services.domain.alerts.destinations import (
    AlertFilter,
    DeliveryLimits,
    Destination,
    SecretSource,
    load_destinations,
    parse_rate,
    parse_seconds,
)
from services.domain.errors import ConfigError
from tests.support.alerts import alert_value

DEFAULTS = DeliveryLimits(
    rate_per_second=1.0,
    connect_timeout_seconds=5.0,
    timeout_seconds=15.0,
    deadline_seconds=300.0,
    max_attempts=20,
    backoff_base_seconds=1.0,
    backoff_max_seconds=60.0,
)


def one(**fields: Any) -> Destination:
    return load_destinations({"destinations": {"ops": fields}}, DEFAULTS)[0]


def test_a_minimal_destination_takes_every_default() -> None:
    assert one(kind="slack", url_env="PAGEWIRE_SLACK_URL") == Destination(
        name="ops",
        kind="slack",
        url=SecretSource(env="PAGEWIRE_SLACK_URL"),
        secret=None,
        filter=AlertFilter(min_severity="info", pairs=("*",), max_age_seconds=None),
        limits=DEFAULTS,
    )


def test_every_field_is_read() -> None:
    destination = one(
        kind="webhook",
        url_file="/run/secrets/url",
        secret_env="HOOK_SECRET",
        min_severity="warning",
        pairs=["KGS/*", "*/EUR"],
        max_age="6h",
        rate_limit="30/m",
        connect_timeout=2.5,
        timeout="10s",
        deadline="15m",
        max_attempts=7,
    )
    assert destination.url == SecretSource(file="/run/secrets/url")
    assert destination.secret == SecretSource(env="HOOK_SECRET")
    assert destination.filter == AlertFilter("warning", ("KGS/*", "*/EUR"), 21600.0)
    assert destination.limits == DeliveryLimits(0.5, 2.5, 10.0, 900.0, 7, 1.0, 60.0)
    assert destination.limits.min_interval_seconds == 2.0


def test_destinations_keep_the_file_order() -> None:
    document = {
        "destinations": {
            "zeta": {"kind": "teams", "url_env": "Z"},
            "alpha": {"kind": "discord", "url_env": "A"},
        }
    }
    assert [(d.name, d.kind) for d in load_destinations(document, DEFAULTS)] == [
        ("zeta", "teams"),
        ("alpha", "discord"),
    ]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (None, "expected a mapping with a 'destinations' table"),
        ({"destinations": {}}, "'destinations' must be a table of at least one"),
        ({"destination": {}}, "unknown top-level key(s) 'destination'"),
        ({"destinations": {"ops chat": {}}}, "destination 'ops chat': names are 1-64 letters"),
        ({"destinations": {"ops": "slack"}}, "destination 'ops': expected a table of fields, got str"),
    ],
)
def test_the_document_shape_is_checked(document: Any, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_destinations(document, DEFAULTS)
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "irc", "url_env": "U"}, "kind: expected one of slack, discord, mattermost, teams, webhook"),
        ({"kind": "slack"}, "the URL is required: set url_env or url_file (never the URL itself)"),
        ({"kind": "slack", "url": "https://hooks.slack.com/x"}, "unknown field(s) 'url'"),
        ({"kind": "slack", "url_env": "U", "url_file": "/f"}, "set url_env or url_file, not both"),
        ({"kind": "slack", "url_env": "https://hooks"}, "url_env: expected an environment variable name"),
        ({"kind": "webhook", "url_env": "U"}, "a webhook needs a signing secret"),
        ({"kind": "slack", "url_env": "U", "secret_env": "S"}, "only webhook destinations are signed"),
        ({"kind": "slack", "url_env": "U", "min_severity": "high"}, "min_severity: expected one of info,"),
        ({"kind": "slack", "url_env": "U", "pairs": ["kgs/usd"]}, "pairs: 'kgs/usd' never matches"),
        ({"kind": "slack", "url_env": "U", "pairs": []}, "pairs: expected a list of glob patterns"),
        ({"kind": "slack", "url_env": "U", "rate_limit": "fast"}, 'rate_limit: expected a rate like "1/s"'),
        ({"kind": "slack", "url_env": "U", "rate_limit": 0}, "rate_limit: the rate must be above zero"),
        ({"kind": "slack", "url_env": "U", "timeout": "soon"}, 'timeout: expected a duration like "30m"'),
        ({"kind": "slack", "url_env": "U", "deadline": -1}, "deadline: must be above zero, got -1"),
        ({"kind": "slack", "url_env": "U", "max_attempts": 0}, "max_attempts: expected a whole number >= 1"),
        ({"kind": "slack", "url_env": "U", "deadline": "5s"}, "deadline (5s) is shorter than one attempt's"),
    ],
)
def test_each_mistake_names_the_destination_and_the_field(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        one(**fields)
    assert str(error.value).startswith("destination 'ops': ")
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("text", "per_second"), [("1/s", 1.0), ("30/m", 0.5), ("90/h", 0.025), (" 2.5 / s ", 2.5), (4, 4.0)]
)
def test_rates(text: Any, per_second: float) -> None:
    assert parse_rate(text, "rate") == per_second


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90.0), ("1h30m", 5400.0), (2.5, 2.5), (3, 3.0)])
def test_durations(text: Any, seconds: float) -> None:
    assert parse_seconds(text, "timeout") == seconds


@pytest.mark.parametrize("value", [True, "0s", 0, "1.5s", None])
def test_bad_durations(value: Any) -> None:
    with pytest.raises(ConfigError, match=r"^timeout: "):
        parse_seconds(value, "timeout")


def test_the_filter_passes_alerts_at_or_above_the_minimum_severity_on_matching_pairs() -> None:
    wanted = AlertFilter(min_severity="warning", pairs=("KGS/*", "*/EUR"))
    assert wanted.rejection(alert_value(severity="warning", pair="KGS/USD"), 0) is None
    assert wanted.rejection(alert_value(severity="critical", pair="UZS/EUR"), 0) is None
    assert wanted.rejection(alert_value(severity="info", pair="KGS/USD"), 0) == "severity info below warning"
    assert wanted.rejection(alert_value(severity="critical", pair="UZS/USD"), 0) == (
        "pair UZS/USD not in KGS/*, */EUR"
    )


def test_the_filter_skips_alerts_older_than_max_age_only_when_set() -> None:
    assert AlertFilter().rejection(alert_value(), 10**9) is None
    recent = AlertFilter(max_age_seconds=3600)
    assert recent.rejection(alert_value(), 3599.0) is None
    assert recent.rejection(alert_value(), 3601.0) == "older than max_age 3600s"
