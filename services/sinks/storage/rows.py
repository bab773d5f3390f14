"""Wire messages to table rows, one mapping per message type; decimal strings are kept exactly as sent."""

import base64
import binascii
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from services.domain import schema_ids
from services.domain.errors import SchemaError
from services.domain.instants import parse_instant
from services.sinks.storage.tables import (
    ALERT_DELIVERIES,
    ALERTS,
    ARTICLE_LABELS,
    ARTICLES,
    DEADLETTERS,
    RATE_DELTAS,
    SNAPSHOTS,
    STALENESS_EVENTS,
    TABLES,
    TICKER_ROWS,
    Table,
)

Row = dict[str, object]
Key = tuple[object, ...]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_INT64 = range(-(2**63), 2**63)


def event_us(text: str) -> int:
    """Microseconds since the Unix epoch: the sort and filter key of an RFC 3339 instant on both dialects."""
    return (parse_instant(text) - _EPOCH) // timedelta(microseconds=1)


def rows_of(message: Mapping[str, Any]) -> list[tuple[Table, Row]]:
    """The rows one valid message becomes; SchemaError when a value cannot be stored as it is."""
    schema = message.get("schema")
    mapper = _MAPPERS.get(schema) if isinstance(schema, str) else None
    if mapper is None:
        raise SchemaError(f"no table stores {schema!r} messages", reason="unknown_schema")
    return mapper(message)


def _row(
    table: Table,
    fields: Mapping[str, Any],
    renamed: Mapping[str, str] | None = None,
    given: Row | None = None,
) -> Row:
    """Copy `fields` into `table`'s columns; `renamed` maps column -> field where the names differ."""
    row: Row = {}
    for column in table.columns:
        if given and column in given:
            value = given[column]
        elif column == "event_us":
            value = event_us(fields["event_time"])
        else:
            value = fields[(renamed or {}).get(column, column)]
        row[column] = _storable(table, column, value)
    return row


def _storable(table: Table, column: str, value: Any) -> Any:
    if column in table.integer_columns and value is not None:
        # orjson reads integers beyond 64 bits as floats and the schemas accept integral floats
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or value not in _INT64:
            raise SchemaError(
                f"{table.name}.{column}: {value!r} is not a 64-bit integer", reason="out_of_range"
            )
    _refuse_nul(value, f"{table.name}.{column}")
    if column in table.json_columns and value is not None:
        return orjson.dumps(value).decode()
    return value


def _refuse_nul(value: Any, where: str) -> None:
    # PostgreSQL cannot hold U+0000 in TEXT or JSONB; refusing it here keeps both dialects storing the same
    if isinstance(value, str) and "\x00" in value:
        raise SchemaError(f"{where}: text contains U+0000", reason="nul_character")
    if isinstance(value, dict):
        for key, item in value.items():
            _refuse_nul(key, where)
            _refuse_nul(item, where)
    elif isinstance(value, list):
        for item in value:
            _refuse_nul(item, where)


def _article(message: Mapping[str, Any]) -> list[tuple[Table, Row]]:
    rows = [(ARTICLES, _row(ARTICLES, message))]
    for family, labels in message["labels"].items():
        for ordinal, label in enumerate(labels):
            owner = {"article_id": message["article_id"], "revision": message["revision"]}
            given = {**owner, "family": family, "ordinal": ordinal}
            rows.append((ARTICLE_LABELS, _row(ARTICLE_LABELS, label, given=given)))
    return rows


def _deadletter(message: Mapping[str, Any]) -> list[tuple[Table, Row]]:
    source = message["source"]
    given: Row = {
        "source_topic": source["topic"],
        "source_partition": source["partition"],
        "source_offset": source["offset"],
        "source_key": _text_of(source["key"]),
        "original_size": len(_bytes_of(message["original"])),
    }
    return [(DEADLETTERS, _row(DEADLETTERS, message, given=given))]


def _bytes_of(encoded: str) -> bytes:
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SchemaError(f"deadletters.original: not base64: {exc}", reason="schema_mismatch") from exc


def _text_of(encoded: str | None) -> str | None:
    """A key as text (a site, site|pair, an article id), for people and for --site; undecodable bytes
    shown as U+FFFD."""
    return None if encoded is None else _bytes_of(encoded).decode("utf-8", errors="replace")


_SNAPSHOT_FIELDS = {
    "ticker_row_count": "ticker_rows",
    "article_count": "articles",
    "line_count": "lines",
    "dropped_line_count": "dropped_lines",
}
_V1_MISSING: Row = {"heading": None, "line_count": None, "dropped_line_count": None}
_MAPPERS: dict[str, Callable[[Mapping[str, Any]], list[tuple[Table, Row]]]] = {
    schema_ids.TICKER_ROW: lambda m: [(TICKER_ROWS, _row(TICKER_ROWS, m))],
    schema_ids.RATE_DELTA: lambda m: [(RATE_DELTAS, _row(RATE_DELTAS, m))],
    schema_ids.STALENESS: lambda m: [(STALENESS_EVENTS, _row(STALENESS_EVENTS, m))],
    schema_ids.ARTICLE: _article,
    schema_ids.SNAPSHOT_SUMMARY: lambda m: [(SNAPSHOTS, _row(SNAPSHOTS, m, _SNAPSHOT_FIELDS))],
    # version 1 summaries (which may remain on the topic) lack heading and the line counts: stored as NULL
    schema_ids.SNAPSHOT_SUMMARY_V1: lambda m: [
        (SNAPSHOTS, _row(SNAPSHOTS, m, _SNAPSHOT_FIELDS, _V1_MISSING))
    ],
    schema_ids.ALERT: lambda m: [(ALERTS, _row(ALERTS, m, {"time_window": "window"}))],
    schema_ids.ALERT_DELIVERY: lambda m: [(ALERT_DELIVERIES, _row(ALERT_DELIVERIES, m))],
    schema_ids.DEADLETTER: _deadletter,
}
STORED_SCHEMAS = frozenset(_MAPPERS)


class RowBatch:
    """The rows of a batch of messages; for each natural key the last message in Kafka order wins."""

    def __init__(self) -> None:
        self._rows: dict[str, dict[Key, Row]] = {table.name: {} for table in TABLES}
        self._relabelled: dict[Key, None] = {}

    def add(self, message: Mapping[str, Any]) -> None:
        """Add one message's rows, all or none: SchemaError leaves the batch as it was."""
        rows = rows_of(message)
        for table, row in rows:
            if table is ARTICLES:
                revision = _key(ARTICLES, row)
                self._relabelled[revision] = None
                # a later copy of the same revision replaces the earlier copy's labels, not adds to them
                labels = self._rows[ARTICLE_LABELS.name]
                for stale in [key for key in labels if key[:2] == revision]:
                    del labels[stale]
            self._rows[table.name][_key(table, row)] = row

    def rows(self, table: Table) -> list[Row]:
        return list(self._rows[table.name].values())

    def relabelled(self) -> list[Key]:
        """(article_id, revision) of every article revision whose labels this batch replaces."""
        return list(self._relabelled)

    def __len__(self) -> int:
        return sum(len(rows) for rows in self._rows.values())


def _key(table: Table, row: Row) -> Key:
    return tuple(row[column] for column in table.key)
