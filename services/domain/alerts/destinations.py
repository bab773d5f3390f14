"""Alert destinations as data: a parsed YAML/TOML mapping turned into frozen, validated Destination values."""

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, Final, cast

from services.domain.alerts.alert import Alert
from services.domain.alerts.chat import KINDS, Kind
from services.domain.alerts.rules import SEVERITIES, SEVERITY_RANK, Severity, parse_duration
from services.domain.errors import ConfigError

_FIELDS: Final = (
    "kind",
    "url_env",
    "url_file",
    "secret_env",
    "secret_file",
    "min_severity",
    "pairs",
    "max_age",
    "rate_limit",
    "connect_timeout",
    "timeout",
    "deadline",
    "max_attempts",
)
# names end up in consumer group ids and metric labels: plain identifiers only
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PAIR_PATTERN = re.compile(r"^[A-Z*?\[\]!/-]+$")
_RATE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*/\s*(s|m|h)\s*$")
_RATE_UNIT_SECONDS: Final = {"s": 1.0, "m": 60.0, "h": 3600.0}


@dataclass(frozen=True)
class SecretSource:
    """Where a URL or signing secret is read from: an environment variable or a file, never the value."""

    env: str | None = None
    file: str | None = None

    def describe(self) -> str:
        return f"environment variable {self.env}" if self.env else f"file {self.file}"


@dataclass(frozen=True)
class AlertFilter:
    """Which alerts a destination wants: a minimum severity, pair globs, and optionally a maximum age."""

    min_severity: Severity = "info"
    pairs: tuple[str, ...] = ("*",)
    max_age_seconds: float | None = None

    def rejection(self, alert: Alert, age_seconds: float) -> str | None:
        """Why the alert is not for this destination, or None when it is.

        `age_seconds` is how long ago the alert was published: old alerts are skipped, when max_age is set,
        so a destination added to a running system does not get weeks of history.
        """
        if SEVERITY_RANK[alert.severity] < SEVERITY_RANK[self.min_severity]:
            return f"severity {alert.severity} below {self.min_severity}"
        if not any(fnmatchcase(alert.pair, pattern) for pattern in self.pairs):
            return f"pair {alert.pair} not in {', '.join(self.pairs)}"
        if self.max_age_seconds is not None and age_seconds > self.max_age_seconds:
            return f"older than max_age {self.max_age_seconds:g}s"
        return None


@dataclass(frozen=True)
class DeliveryLimits:
    """How hard to try one destination: pacing, timeouts, total deadline and attempts per alert."""

    rate_per_second: float
    connect_timeout_seconds: float
    timeout_seconds: float
    deadline_seconds: float
    max_attempts: int
    # process-wide (settings), not per destination: how retries spread out
    backoff_base_seconds: float = 1.0
    backoff_max_seconds: float = 60.0

    @property
    def min_interval_seconds(self) -> float:
        """The least time between two requests' starts, from the rate limit."""
        return 1.0 / self.rate_per_second


@dataclass(frozen=True)
class Destination:
    """One named chat or webhook destination; the URL and secret are only named here, read elsewhere."""

    name: str
    kind: Kind
    url: SecretSource
    secret: SecretSource | None
    filter: AlertFilter
    limits: DeliveryLimits


def load_destinations(document: Any, defaults: DeliveryLimits) -> tuple[Destination, ...]:
    """Destinations from a parsed file: a mapping with a `destinations` table of name -> fields."""
    if not isinstance(document, Mapping):
        raise ConfigError("alert destinations: expected a mapping with a 'destinations' table")
    unknown = sorted(set(document) - {"destinations"})
    if unknown:
        raise ConfigError(f"alert destinations: unknown top-level key(s) {', '.join(map(repr, unknown))}")
    entries = document.get("destinations")
    if not isinstance(entries, Mapping) or not entries:
        raise ConfigError("alert destinations: 'destinations' must be a table of at least one name -> fields")
    destinations: list[Destination] = []
    problems: list[str] = []
    for name, entry in entries.items():
        try:
            destinations.append(parse_destination(name, entry, defaults))
        except ConfigError as exc:
            problems.append(str(exc))  # every destination is checked: the file's errors all at once
    if problems:
        raise ConfigError("\n".join(problems))
    return tuple(destinations)


def parse_destination(name: Any, entry: Any, defaults: DeliveryLimits) -> Destination:
    """One destination table; errors name the destination and the field, never a URL."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(
            f"destination {name!r}: names are 1-64 letters, digits, '.', '_' or '-', starting alphanumeric"
        )
    where = f"destination {name!r}"
    if not isinstance(entry, Mapping):
        raise ConfigError(f"{where}: expected a table of fields, got {type(entry).__name__}")
    unknown = sorted(set(entry) - set(_FIELDS))
    if unknown:
        raise ConfigError(
            f"{where}: unknown field(s) {', '.join(map(repr, unknown))}; known: {', '.join(_FIELDS)}"
        )
    kind = entry.get("kind")
    if kind not in KINDS:
        raise ConfigError(f"{where}: kind: expected one of {', '.join(KINDS)}, got {kind!r}")
    url = _source(entry, "url", where)
    if url is None:
        raise ConfigError(f"{where}: the URL is required: set url_env or url_file (never the URL itself)")
    secret = _source(entry, "secret", where)
    if kind == "webhook" and secret is None:
        raise ConfigError(f"{where}: a webhook needs a signing secret: set secret_env or secret_file")
    if kind != "webhook" and secret is not None:
        raise ConfigError(f"{where}: only webhook destinations are signed; remove secret_env/secret_file")
    return Destination(
        name=name,
        kind=cast(Kind, kind),
        url=url,
        secret=secret,
        filter=_filter(entry, where),
        limits=_limits(entry, where, defaults),
    )


def parse_rate(value: Any, where: str) -> float:
    """'1/s', '30/m', '100/h' or a number of requests per second -> requests per second (> 0)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        rate = float(value)
    elif isinstance(value, str) and (match := _RATE.match(value)):
        rate = float(match.group(1)) / _RATE_UNIT_SECONDS[match.group(2)]
    else:
        raise ConfigError(f'{where}: expected a rate like "1/s", "30/m" or "100/h", got {value!r}')
    if not rate > 0:
        raise ConfigError(f"{where}: the rate must be above zero, got {value!r}")
    return rate


def parse_seconds(value: Any, where: str) -> float:
    """A positive duration: a number of seconds (2.5) or a duration string ("30s", "5m", "1h30m")."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        seconds = parse_duration(value, where).total_seconds()
    if not seconds > 0:
        raise ConfigError(f"{where}: must be above zero, got {value!r}")
    return seconds


def _source(entry: Mapping[str, Any], what: str, where: str) -> SecretSource | None:
    env, file = entry.get(f"{what}_env"), entry.get(f"{what}_file")
    if env is not None and file is not None:
        raise ConfigError(f"{where}: set {what}_env or {what}_file, not both")
    if env is not None:
        if not isinstance(env, str) or not _VARIABLE.match(env):
            raise ConfigError(f"{where}: {what}_env: expected an environment variable name, got {env!r}")
        return SecretSource(env=env)
    if file is not None:
        if not isinstance(file, str) or not file.strip():
            raise ConfigError(f"{where}: {what}_file: expected a file path, got {file!r}")
        return SecretSource(file=file)
    return None


def _filter(entry: Mapping[str, Any], where: str) -> AlertFilter:
    severity = entry.get("min_severity", "info")
    if severity not in SEVERITIES:
        raise ConfigError(f"{where}: min_severity: expected one of {', '.join(SEVERITIES)}, got {severity!r}")
    pairs = entry.get("pairs", ["*"])
    if isinstance(pairs, str):
        pairs = [pairs]
    if not isinstance(pairs, Sequence) or not pairs:
        raise ConfigError(f'{where}: pairs: expected a list of glob patterns like ["*/USD"], got {pairs!r}')
    for pattern in pairs:
        if not isinstance(pattern, str) or not _PAIR_PATTERN.match(pattern):
            # a lower-case or misspelt pattern would silently never match
            raise ConfigError(
                f"{where}: pairs: {pattern!r} never matches: pairs are upper case like KGS/USD; "
                "use *, ? and [...] as wildcards"
            )
    max_age = entry.get("max_age")
    return AlertFilter(
        min_severity=cast(Severity, severity),
        pairs=tuple(pairs),
        max_age_seconds=None if max_age is None else parse_seconds(max_age, f"{where}: max_age"),
    )


def _limits(entry: Mapping[str, Any], where: str, defaults: DeliveryLimits) -> DeliveryLimits:
    attempts = entry.get("max_attempts", defaults.max_attempts)
    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
        raise ConfigError(f"{where}: max_attempts: expected a whole number >= 1, got {attempts!r}")
    limits = DeliveryLimits(
        rate_per_second=_or(entry, "rate_limit", defaults.rate_per_second, where, parse_rate),
        connect_timeout_seconds=_or(entry, "connect_timeout", defaults.connect_timeout_seconds, where),
        timeout_seconds=_or(entry, "timeout", defaults.timeout_seconds, where),
        deadline_seconds=_or(entry, "deadline", defaults.deadline_seconds, where),
        max_attempts=attempts,
        backoff_base_seconds=defaults.backoff_base_seconds,
        backoff_max_seconds=defaults.backoff_max_seconds,
    )
    if limits.deadline_seconds < limits.timeout_seconds:
        raise ConfigError(
            f"{where}: deadline ({limits.deadline_seconds:g}s) is shorter than one attempt's timeout "
            f"({limits.timeout_seconds:g}s)"
        )
    return limits


def _or(
    entry: Mapping[str, Any],
    field: str,
    default: float,
    where: str,
    parse: Callable[[Any, str], float] = parse_seconds,
) -> float:
    return parse(entry[field], f"{where}: {field}") if field in entry else default
