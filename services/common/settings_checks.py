"""What each setting may be: checked for every setting when a process starts, every problem reported at once.

A check takes the converted value and returns None, or what is allowed ("must be at least 1"). Checks are
keyed by environment variable; tests/unit/test_settings_checks.py holds every number, choice and rule
text of the settings to one here, so a new setting cannot go unchecked.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from services.common.secret import Secret
from services.domain.errors import ConfigError
from services.domain.ticker.rules import (
    parse_duration,
    parse_history_limit,
    parse_threshold_pct,
    parse_windows,
)

Check = Callable[[Any], str | None]

COMPRESSIONS = ("zstd", "lz4", "gzip", "snappy", "none")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def at_least(bound: float) -> Check:
    return lambda value: None if value >= bound else f"must be at least {bound:g}"


def above(bound: float) -> Check:
    return lambda value: None if value > bound else f"must be more than {bound:g}"


def between(low: int, high: int) -> Check:
    return lambda value: None if low <= value <= high else f"must be from {low} to {high}"


def one_of(*choices: str, fold: Callable[[str], str] = str) -> Check:
    return lambda value: None if fold(value) in choices else f"must be one of {', '.join(choices)}"


def parses(parse: Callable[[str], Any]) -> Check:
    """A setting read by one of the domain's parsers: its own error says what is allowed."""

    def check(value: Any) -> str | None:
        try:
            parse(value)
        except ConfigError as exc:
            return str(exc)
        return None

    return check


def _database_url(value: Secret) -> str | None:
    url = value.reveal()
    scheme = urlsplit(url).scheme
    if not url or scheme in {"postgresql", "postgres"}:
        return None
    if scheme == "sqlite" and url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        return None
    return "must be sqlite:///path/to/file.db or postgresql://user@host/database"


def _existing_file(value: Path | None) -> str | None:
    if value is None or value.is_file():
        return None
    return "no such file"


def _not_empty(value: str) -> str | None:
    return None if value.strip() else "must not be empty"


_SECONDS = above(0)
_PORT = between(0, 65535)

#: environment variable -> check; every setting has one (the test says so), many share the simple ones
CHECKS: dict[str, Check] = {
    # kafka
    "PAGEWIRE_KAFKA_BOOTSTRAP": _not_empty,
    "PAGEWIRE_TOPIC_PREFIX": lambda value: (
        None
        if all(char.isalnum() or char in "._-" for char in value)
        else "may hold only letters, digits, '.', '_' and '-'"
    ),
    "PAGEWIRE_TOPIC_REPLICATION_FACTOR": between(0, 32767),
    "PAGEWIRE_KAFKA_CLIENT_ID": _not_empty,
    "PAGEWIRE_KAFKA_COMPRESSION": one_of(*COMPRESSIONS),
    "PAGEWIRE_KAFKA_MAX_REQUEST_BYTES": at_least(1024),
    "PAGEWIRE_KAFKA_START_WAIT": at_least(0),
    # local broker
    "PAGEWIRE_HOME": lambda _: None,
    "PAGEWIRE_LOCAL_KAFKA_PORT": between(1, 65535),
    "PAGEWIRE_LOCAL_KAFKA_CONTROLLER_PORT": between(1, 65535),
    "PAGEWIRE_LOCAL_KAFKA_HEAP": lambda value: (
        None
        if value[:-1].isdigit() and value[-1:].lower() in {"m", "g"}
        else "must be a JVM heap size such as 768m or 2g"
    ),
    "PAGEWIRE_LOCAL_KAFKA_START_TIMEOUT": _SECONDS,
    "PAGEWIRE_LOCAL_KAFKA_JARS": lambda _: None,
    # storage sink
    "PAGEWIRE_DATABASE_URL": _database_url,
    "PAGEWIRE_STORAGE_GROUP": _not_empty,
    "PAGEWIRE_STORAGE_BATCH_SIZE": at_least(1),
    "PAGEWIRE_STORAGE_POLL_TIMEOUT": _SECONDS,
    "PAGEWIRE_STORAGE_CONNECT_TIMEOUT": _SECONDS,
    "PAGEWIRE_STORAGE_BACKOFF_BASE": _SECONDS,
    "PAGEWIRE_STORAGE_BACKOFF_MAX": _SECONDS,
    # producer
    "PAGEWIRE_PRODUCER_MAX_BODY_BYTES": at_least(1),
    "PAGEWIRE_PRODUCER_USER_AGENT": _not_empty,
    "PAGEWIRE_PRODUCER_CONNECT_TIMEOUT": _SECONDS,
    "PAGEWIRE_PRODUCER_READ_TIMEOUT": _SECONDS,
    "PAGEWIRE_PRODUCER_RETRIES": at_least(0),
    "PAGEWIRE_PRODUCER_BACKOFF_BASE": _SECONDS,
    "PAGEWIRE_PRODUCER_BACKOFF_MAX": _SECONDS,
    "PAGEWIRE_PRODUCER_PER_HOST_INTERVAL": at_least(0),
    "PAGEWIRE_PRODUCER_ALLOW_PRIVATE": lambda _: None,
    "PAGEWIRE_PRODUCER_INTERVAL": _SECONDS,
    "PAGEWIRE_PRODUCER_BROKER_WAIT": at_least(0),
    "PAGEWIRE_PRODUCER_DELIVERY_TIMEOUT": _SECONDS,
    # worker
    "PAGEWIRE_WORKER_APP_ID": _not_empty,
    "PAGEWIRE_WORKER_STORE": one_of("rocksdb", "memory"),
    "PAGEWIRE_STATE_DIR": lambda _: None,
    "PAGEWIRE_WORKER_SESSION_TIMEOUT": _SECONDS,
    "PAGEWIRE_WORKER_STOP_TIMEOUT": _SECONDS,
    "PAGEWIRE_WORKER_STANDBYS": between(0, 3),
    "PAGEWIRE_WINDOWS": parses(parse_windows),
    "PAGEWIRE_STALE_AFTER": parses(lambda value: parse_duration(value, "PAGEWIRE_STALE_AFTER")),
    "PAGEWIRE_QUANTISATION_THRESHOLD": parses(parse_threshold_pct),
    "PAGEWIRE_HISTORY_LIMIT": parses(parse_history_limit),
    "PAGEWIRE_STALENESS_INTERVAL": _SECONDS,
    "PAGEWIRE_ALERT_RULES": _existing_file,
    "PAGEWIRE_WORKER_CHANGELOG_BATCH": at_least(1),
    "PAGEWIRE_WORKER_SEND_BATCH": at_least(1),
    "PAGEWIRE_WORKER_VALIDATE_OUTPUTS": lambda _: None,
    # alert sink
    "PAGEWIRE_ALERT_DESTINATIONS": _existing_file,
    "PAGEWIRE_ALERT_SINK_GROUP": _not_empty,
    "PAGEWIRE_ALERT_SINK_DEADLINE": _SECONDS,
    "PAGEWIRE_ALERT_SINK_MAX_ATTEMPTS": at_least(1),
    "PAGEWIRE_ALERT_SINK_BACKOFF_BASE": _SECONDS,
    "PAGEWIRE_ALERT_SINK_BACKOFF_MAX": _SECONDS,
    "PAGEWIRE_ALERT_SINK_RATE_LIMIT": _SECONDS,
    "PAGEWIRE_ALERT_SINK_CONNECT_TIMEOUT": _SECONDS,
    "PAGEWIRE_ALERT_SINK_TIMEOUT": _SECONDS,
    "PAGEWIRE_ALERT_SINK_POLL_TIMEOUT": _SECONDS,
    # observability
    "PAGEWIRE_OBSERVE_HOST": _not_empty,
    "PAGEWIRE_OBSERVE_PRODUCER_PORT": _PORT,
    "PAGEWIRE_OBSERVE_WORKER_PORT": _PORT,
    "PAGEWIRE_OBSERVE_STORAGE_SINK_PORT": _PORT,
    "PAGEWIRE_OBSERVE_ALERT_SINK_PORT": _PORT,
    "PAGEWIRE_LAG_INTERVAL": _SECONDS,
    "PAGEWIRE_LOG_LEVEL": one_of(*LOG_LEVELS, fold=lambda value: value.strip().upper()),
    "PAGEWIRE_LOG_FORMAT": one_of("json", "text"),
    # contracts
    "PAGEWIRE_SCHEMAS_DIR": lambda value: None if value is None or value.is_dir() else "no such directory",
}


def problem(variable: str, value: Any) -> str | None:
    """What is wrong with `value` for `variable`, or None."""
    return CHECKS[variable](value)
