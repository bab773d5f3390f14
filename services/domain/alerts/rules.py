"""Alert rules as data: the parsed YAML/TOML mapping turned into frozen, validated Rule values."""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from fnmatch import fnmatchcase
from typing import Any, Final, Literal, cast, get_args

from services.domain.errors import ConfigError

Metric = Literal["window_move_pct", "change_pct", "reported_change_pct", "staleness"]
Direction = Literal["up", "down", "any"]
Severity = Literal["info", "warning", "critical"]

METRICS: Final[tuple[Metric, ...]] = get_args(Metric)
DIRECTIONS: Final[tuple[Direction, ...]] = get_args(Direction)
SEVERITIES: Final[tuple[Severity, ...]] = get_args(Severity)
#: info < warning < critical; escalation compares these ranks
SEVERITY_RANK: Final[dict[str, int]] = {name: rank for rank, name in enumerate(SEVERITIES)}

_FIELDS = ("name", "pair", "metric", "window", "threshold", "direction", "min_ticks", "severity", "cooldown")
# names end up in group keys ("rule|site|pair") and chat messages: keep them plain identifiers
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_PAIR_PATTERN = re.compile(r"^[A-Z*?\[\]!/-]+$")
_WINDOW = re.compile(r"^[0-9]+[a-z]+$")
_DURATION = re.compile(r"^(?:[0-9]+[smhd])+$")
_DURATION_PART = re.compile(r"([0-9]+)([smhd])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rule:
    """One alert rule; `threshold` is a percent, or seconds of silence for the staleness metric."""

    name: str
    pair: str
    metric: Metric
    window: str | None
    threshold: Decimal
    direction: Direction
    min_ticks: int
    severity: Severity
    cooldown: timedelta

    def matches(self, pair: str) -> bool:
        """Whether the rule's glob pattern (e.g. "*/USD", "KGS/*") covers this pair."""
        return fnmatchcase(pair, self.pair)

    @property
    def rank(self) -> int:
        return SEVERITY_RANK[self.severity]


def load_rules(document: Mapping[str, Any] | None) -> tuple[Rule, ...]:
    """Rules from a parsed file: a mapping with a `rules` list of tables; order is kept. Every problem
    of the file is in the one ConfigError raised, a line each."""
    rules, problems = parse_rules(document)
    if problems:
        raise ConfigError("\n".join(problems))
    return rules


def parse_rules(document: Mapping[str, Any] | None) -> tuple[tuple[Rule, ...], list[str]]:
    """The valid rules of a parsed file and a problem per invalid one (or the one problem of the file)."""
    if not isinstance(document, Mapping):
        return (), ["alert rules: expected a mapping with a 'rules' list"]
    unknown = sorted(set(document) - {"rules"})
    if unknown:
        return (), [f"alert rules: unknown top-level key(s) {', '.join(map(repr, unknown))}"]
    entries = document.get("rules")
    if not isinstance(entries, Sequence) or isinstance(entries, str):
        return (), ["alert rules: 'rules' must be a list of rule tables"]
    rules: list[Rule] = []
    problems: list[str] = []
    seen: set[str] = set()
    for position, entry in enumerate(entries, start=1):
        try:
            rule = parse_rule(entry, position)
        except ConfigError as exc:
            problems.append(str(exc))  # every rule is checked: a file's errors are all reported at once
            continue
        if rule.name in seen:
            problems.append(f"rule {rule.name!r}: name: used by more than one rule (names must be unique)")
        seen.add(rule.name)
        rules.append(rule)
    return tuple(rules), problems


def unknown_windows(rules: Sequence[Rule], windows: Sequence[str]) -> list[str]:
    """A problem per window_move_pct rule whose window the worker does not compute (PAGEWIRE_WINDOWS):
    such a rule would never fire."""
    return [
        f"rule {rule.name!r}: window: {rule.window!r} is not one of PAGEWIRE_WINDOWS ({', '.join(windows)})"
        for rule in rules
        if rule.window is not None and rule.window not in windows
    ]


def parse_rule(entry: Any, position: int) -> Rule:
    """One rule table; errors name the rule (or its position) and the field."""
    if not isinstance(entry, Mapping):
        raise ConfigError(f"rule #{position}: expected a table of fields, got {type(entry).__name__}")
    name = entry.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(
            f"rule #{position}: name: required, 1-64 letters, digits, '.', '_' or '-', got {name!r}"
        )
    where = f"rule {name!r}"
    unknown = sorted(set(entry) - set(_FIELDS))
    if unknown:
        raise ConfigError(
            f"{where}: unknown field(s) {', '.join(map(repr, unknown))}; known: {', '.join(_FIELDS)}"
        )
    metric = _choice(entry, "metric", METRICS, where, default=None)
    window = _window(entry, metric, where)
    direction = _choice(entry, "direction", DIRECTIONS, where, default="any")
    min_ticks = _min_ticks(entry, where)
    if metric == "staleness" and (direction != "any" or min_ticks != 0):
        raise ConfigError(f"{where}: direction and min_ticks do not apply to the staleness metric")
    return Rule(
        name=name,
        pair=_pair(entry, where),
        metric=cast(Metric, metric),
        window=window,
        threshold=_threshold(entry, where),
        direction=cast(Direction, direction),
        min_ticks=min_ticks,
        severity=cast(Severity, _choice(entry, "severity", SEVERITIES, where, default=None)),
        cooldown=parse_duration(entry.get("cooldown", "30m"), f"{where}: cooldown"),
    )


def parse_duration(value: Any, where: str) -> timedelta:
    """'90s', '30m', '1h30m', '2d' -> timedelta."""
    if not isinstance(value, str) or not _DURATION.match(value):
        raise ConfigError(f'{where}: expected a duration like "30m", "1h30m" or "2d", got {value!r}')
    seconds = sum(int(amount) * _UNIT_SECONDS[unit] for amount, unit in _DURATION_PART.findall(value))
    return timedelta(seconds=seconds)


def _choice(
    entry: Mapping[str, Any], field: str, allowed: Sequence[str], where: str, default: str | None
) -> str:
    value = entry.get(field, default)
    if value is None:
        raise ConfigError(f"{where}: {field}: required, one of {', '.join(allowed)}")
    if value not in allowed:
        raise ConfigError(f"{where}: {field}: expected one of {', '.join(allowed)}, got {value!r}")
    return cast(str, value)


def _pair(entry: Mapping[str, Any], where: str) -> str:
    value = entry.get("pair", "*")
    if not isinstance(value, str) or not value:
        raise ConfigError(f'{where}: pair: expected a glob pattern like "*/USD", got {value!r}')
    if not _PAIR_PATTERN.match(value):
        # a lower-case or misspelt pattern would silently never match
        raise ConfigError(
            f"{where}: pair: {value!r} never matches: pairs are upper case like KGS/USD; "
            "use *, ? and [...] as wildcards"
        )
    return value


def _window(entry: Mapping[str, Any], metric: str, where: str) -> str | None:
    value = entry.get("window")
    if metric != "window_move_pct":
        if value is not None:
            raise ConfigError(f"{where}: window: only the window_move_pct metric takes a window")
        return None
    if not isinstance(value, str) or not _WINDOW.match(value):
        raise ConfigError(
            f'{where}: window: required for window_move_pct, a window name like "1h", got {value!r}'
        )
    return value


def _threshold(entry: Mapping[str, Any], where: str) -> Decimal:
    value = entry.get("threshold")
    if isinstance(value, float):
        raise ConfigError(f'{where}: threshold: write it as a string, e.g. "{value}", so it stays exact')
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ConfigError(f'{where}: threshold: required, a decimal string like "1.5", got {value!r}')
    try:
        threshold = Decimal(str(value).strip())
    except InvalidOperation:
        raise ConfigError(f"{where}: threshold: not a decimal number: {value!r}") from None
    if not threshold.is_finite() or threshold < 0:
        raise ConfigError(
            f"{where}: threshold: must be a finite number >= 0 (direction sets the sign), got {value!r}"
        )
    return threshold


def _min_ticks(entry: Mapping[str, Any], where: str) -> int:
    value = entry.get("min_ticks", 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{where}: min_ticks: expected a whole number >= 0, got {value!r}")
    return value
