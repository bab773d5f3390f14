"""Parsing the stream rules from their setting strings, with clear errors."""

from datetime import timedelta
from decimal import Decimal

import pytest

from services.domain.errors import ConfigError
from services.domain.ticker.rules import StreamRules, Window, parse_duration, parse_windows


def test_defaults() -> None:
    rules = StreamRules()
    assert rules.windows == (
        Window("1h", timedelta(hours=1)),
        Window("24h", timedelta(hours=24)),
        Window("7d", timedelta(days=7)),
    )
    assert rules.stale_after == timedelta(hours=6)
    assert rules.quantisation_threshold_pct == Decimal("1")
    assert rules.history_limit == 256
    assert rules.longest_window == timedelta(days=7)
    assert StreamRules.parse() == rules


def test_parse_from_strings() -> None:
    rules = StreamRules.parse(
        windows=" 7d, 15m ,2w", stale_after="90s", quantisation_threshold="0.5%", history_limit="8"
    )
    assert [(w.name, w.length) for w in rules.windows] == [
        ("15m", timedelta(minutes=15)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
    ]
    assert rules.stale_after == timedelta(seconds=90)
    assert rules.quantisation_threshold_pct == Decimal("0.5")
    assert rules.history_limit == 8


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "windows '': give at least one, e.g. 1h,24h,7d"),
        ("1h,,7d", "windows '1h,,7d': empty entry between commas"),
        ("1h,60m", "windows '1h,60m': 1h and 60m are the same length"),
        ("1h,1y", "window '1y': expected a whole number with s, m, h, d or w, e.g. 1h or 7d"),
        ("0h", "window '0h': must be longer than zero"),
        ("1.5h", "window '1.5h': expected a whole number with s, m, h, d or w, e.g. 1h or 7d"),
    ],
)
def test_bad_windows(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_windows(text)
    assert str(error.value) == message


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"stale_after": "soon"},
            "stale_after 'soon': expected a whole number with s, m, h, d or w, e.g. 1h or 7d",
        ),
        (
            {"quantisation_threshold": "lots"},
            "quantisation threshold 'lots': expected a percent such as 1% or 0.5",
        ),
        ({"quantisation_threshold": "0%"}, "quantisation threshold '0%': must be above 0% and at most 100%"),
        (
            {"quantisation_threshold": "101"},
            "quantisation threshold '101': must be above 0% and at most 100%",
        ),
        ({"history_limit": "many"}, "history limit 'many': expected a whole number"),
        ({"history_limit": "1"}, "history limit '1': must be at least 2 (the current and one earlier rate)"),
    ],
)
def test_bad_rules(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        StreamRules.parse(**kwargs)
    assert str(error.value) == message
    assert error.value.reason == "invalid_config"


def test_rules_built_directly_are_checked_too() -> None:
    with pytest.raises(ConfigError):
        StreamRules(windows=())
    with pytest.raises(ConfigError):
        StreamRules(stale_after=timedelta(0))


def test_parse_duration_units() -> None:
    assert parse_duration("45s") == timedelta(seconds=45)
    assert parse_duration("3d") == timedelta(days=3)
