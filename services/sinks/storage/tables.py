"""The stored tables as data: columns in insert order, natural keys, and which columns hold JSON."""

from dataclasses import dataclass
from typing import Literal

Dialect = Literal["sqlite", "postgresql"]


@dataclass(frozen=True)
class Table:
    """One table: `key` is its natural key (the upsert conflict target), a prefix of `columns`."""

    name: str
    key: tuple[str, ...]
    columns: tuple[str, ...]
    json_columns: frozenset[str] = frozenset()
    integer_columns: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.columns[: len(self.key)] != self.key:
            raise ValueError(f"{self.name}: the key columns must come first")

    @property
    def values(self) -> tuple[str, ...]:
        """Columns outside the key: what an upsert overwrites."""
        return self.columns[len(self.key) :]


def _columns(names: str) -> tuple[str, ...]:
    return tuple(names.split())


TICKER_ROWS = Table(
    "ticker_rows",
    key=("site", "pair", "event_time"),
    columns=_columns("site pair event_time event_us base quote rate change_pct snapshot_id source_url"),
    integer_columns=frozenset({"event_us"}),
)
RATE_DELTAS = Table(
    "rate_deltas",
    key=("site", "pair", "event_time"),
    columns=_columns(
        "site pair event_time event_us snapshot_id previous_time previous_rate rate change change_pct"
        " change_bps reported_change_pct previous_reported_change_pct seconds_since_previous tick_size"
        " change_ticks quantised windows"
    ),
    json_columns=frozenset({"windows"}),
    integer_columns=frozenset({"event_us", "change_ticks"}),
)
STALENESS_EVENTS = Table(
    "staleness_events",
    key=("site", "pair", "state", "event_time"),
    columns=_columns(
        "site pair state event_time event_us snapshot_id last_seen stale_after_seconds silent_seconds"
    ),
    integer_columns=frozenset({"event_us"}),
)
ARTICLES = Table(
    "articles",
    key=("article_id", "revision"),
    columns=_columns(
        "article_id revision event_time event_us snapshot_id site title body dateline truncated listing_date"
        " source_url first_seen"
    ),
    integer_columns=frozenset({"revision", "event_us"}),
)
ARTICLE_LABELS = Table(
    "article_labels",
    key=("article_id", "revision", "family", "slug"),
    columns=_columns("article_id revision family slug ordinal name score cues"),
    json_columns=frozenset({"cues"}),
    integer_columns=frozenset({"revision", "ordinal"}),
)
SNAPSHOTS = Table(
    "snapshots",
    key=("snapshot_id",),
    columns=_columns(
        "snapshot_id site source_url event_time event_us ticker_row_count ticker_repeats article_count"
        " listing_date pagination warnings size heading line_count dropped_line_count"
    ),
    json_columns=frozenset({"pagination", "warnings"}),
    integer_columns=frozenset(
        {
            "event_us",
            "ticker_row_count",
            "ticker_repeats",
            "article_count",
            "size",
            "line_count",
            "dropped_line_count",
        }
    ),
)
ALERTS = Table(
    "alerts",
    key=("alert_id",),
    columns=_columns(
        "alert_id group_key status rule severity metric time_window site pair value threshold direction"
        " summary snapshot_id event_time event_us"
    ),
    integer_columns=frozenset({"event_us"}),
)
ALERT_DELIVERIES = Table(
    "alert_deliveries",
    key=("alert_id", "destination"),
    columns=_columns(
        "alert_id destination kind outcome attempts status_code reason snapshot_id event_time event_us"
        " completed_at"
    ),
    integer_columns=frozenset({"attempts", "status_code", "event_us"}),
)

DEADLETTERS = Table(
    "deadletters",
    key=("stage", "source_topic", "source_partition", "source_offset"),
    columns=_columns(
        "stage source_topic source_partition source_offset source_key reason error snapshot_id event_time"
        " event_us original_size original"
    ),
    integer_columns=frozenset({"source_partition", "source_offset", "event_us", "original_size"}),
)

# Write order: an article before its labels (the labels reference it).
TABLES = (
    TICKER_ROWS,
    RATE_DELTAS,
    STALENESS_EVENTS,
    ARTICLES,
    ARTICLE_LABELS,
    SNAPSHOTS,
    ALERTS,
    ALERT_DELIVERIES,
    DEADLETTERS,
)
