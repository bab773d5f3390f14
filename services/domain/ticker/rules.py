"""The stream-processing rules (rate windows, staleness, quantisation, history size) and their parsers."""

import itertools
import re
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from services.domain.errors import ConfigError

_DURATION = re.compile(r"^(\d+)(s|m|h|d|w)$")
_UNIT = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}

DEFAULT_WINDOWS = "1h,24h,7d"
DEFAULT_STALE_AFTER = "6h"
DEFAULT_QUANTISATION_THRESHOLD = "1%"
DEFAULT_HISTORY_LIMIT = 256


@dataclass(frozen=True)
class Window:
    """A look-back window for rate moves, named as configured ('1h') and used as that key on the wire."""

    name: str
    length: timedelta


def parse_duration(text: str, what: str = "duration") -> timedelta:
    """'90s', '15m', '1h', '7d', '2w' -> timedelta; zero and anything else is a ConfigError."""
    match = _DURATION.match(text.strip())
    if not match:
        raise ConfigError(f"{what} {text!r}: expected a whole number with s, m, h, d or w, e.g. 1h or 7d")
    amount = int(match.group(1))
    if amount == 0:
        raise ConfigError(f"{what} {text!r}: must be longer than zero")
    return timedelta(**{_UNIT[match.group(2)]: amount})


def parse_windows(text: str) -> tuple[Window, ...]:
    """'1h,24h,7d' -> windows shortest first; names are kept as written and must differ in length."""
    names = [part.strip() for part in text.split(",")]
    if not any(names):
        raise ConfigError(f"windows {text!r}: give at least one, e.g. {DEFAULT_WINDOWS}")
    if not all(names):
        raise ConfigError(f"windows {text!r}: empty entry between commas")
    windows = sorted((Window(name, parse_duration(name, "window")) for name in names), key=lambda w: w.length)
    for shorter, longer in itertools.pairwise(windows):
        if shorter.length == longer.length:
            raise ConfigError(f"windows {text!r}: {shorter.name} and {longer.name} are the same length")
    return tuple(windows)


def parse_threshold_pct(text: str) -> Decimal:
    """'1%' or '1' (percent) -> Decimal('1'); must be above 0 and at most 100."""
    raw = text.strip().removesuffix("%").strip()
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise ConfigError(f"quantisation threshold {text!r}: expected a percent such as 1% or 0.5") from exc
    if not value.is_finite() or not 0 < value <= 100:
        raise ConfigError(f"quantisation threshold {text!r}: must be above 0% and at most 100%")
    return value


def parse_history_limit(text: str | int) -> int:
    """How many accepted rates a (site, pair) keeps for its windows; at least 2."""
    try:
        limit = int(text)
    except ValueError as exc:
        raise ConfigError(f"history limit {text!r}: expected a whole number") from exc
    if limit < 2:
        raise ConfigError(f"history limit {text!r}: must be at least 2 (the current and one earlier rate)")
    return limit


@dataclass(frozen=True)
class StreamRules:
    """Everything the dedupe, delta and staleness functions need to know beyond their inputs."""

    windows: tuple[Window, ...] = field(default_factory=lambda: parse_windows(DEFAULT_WINDOWS))
    stale_after: timedelta = field(default_factory=lambda: parse_duration(DEFAULT_STALE_AFTER))
    quantisation_threshold_pct: Decimal = field(
        default_factory=lambda: parse_threshold_pct(DEFAULT_QUANTISATION_THRESHOLD)
    )
    history_limit: int = DEFAULT_HISTORY_LIMIT

    def __post_init__(self) -> None:
        lengths = [window.length for window in self.windows]
        if not lengths or min(lengths) <= timedelta(0) or len(set(lengths)) != len(lengths):
            raise ConfigError("windows: give at least one, each longer than zero and of a different length")
        if self.stale_after <= timedelta(0):
            raise ConfigError("stale_after must be longer than zero")
        if not 0 < self.quantisation_threshold_pct <= 100:
            raise ConfigError("quantisation threshold must be above 0% and at most 100%")
        if self.history_limit < 2:
            raise ConfigError("history limit must be at least 2")

    @classmethod
    def parse(
        cls,
        windows: str = DEFAULT_WINDOWS,
        stale_after: str = DEFAULT_STALE_AFTER,
        quantisation_threshold: str = DEFAULT_QUANTISATION_THRESHOLD,
        history_limit: str | int = DEFAULT_HISTORY_LIMIT,
    ) -> "StreamRules":
        """Build the rules from their setting strings, e.g. parse('1h,24h,7d', '6h', '1%', 256)."""
        return cls(
            windows=parse_windows(windows),
            stale_after=parse_duration(stale_after, "stale_after"),
            quantisation_threshold_pct=parse_threshold_pct(quantisation_threshold),
            history_limit=parse_history_limit(history_limit),
        )

    @property
    def longest_window(self) -> timedelta:
        return max((window.length for window in self.windows), default=timedelta(0))
