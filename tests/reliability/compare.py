"""What "the same outcome" means per topic, table and chat: identities, volatile fields, lost, duplicated."""

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from tests.support.receiver import Received

# The natural identity of a message on each topic: what a consumer dedupes on. Label topics repeat `articles`.
IDENTITY: dict[str, tuple[str, ...]] = {
    "snapshots.parsed": ("site", "snapshot_id", "event_time"),
    "ticker.rows": ("site", "pair", "event_time"),
    "rates.deltas": ("site", "pair", "event_time"),
    "ticker.staleness": ("site", "pair", "state", "last_seen"),
    "articles": ("article_id", "revision"),
    "alerts": ("alert_id",),
    "alerts.deliveries": ("alert_id", "destination"),
    "deadletter": ("stage", "source.topic", "source.partition", "source.offset"),
}
# Fields that say when something happened on this machine's clock, not in the data: a repeat may differ
# there and nowhere else. Every other topic is deterministic, so a repeat is byte-identical.
VOLATILE: dict[str, frozenset[str]] = {
    "ticker.staleness": frozenset({"event_time", "silent_seconds"}),
    "alerts.deliveries": frozenset({"completed_at"}),
    "deadletter": frozenset({"event_time"}),
}
VOLATILE_COLUMNS: dict[str, frozenset[str]] = {
    "alert_deliveries": frozenset({"completed_at"}),
    "deadletters": frozenset({"event_time", "event_us"}),  # when it was dead-lettered
}
_ALERT_ID = re.compile(r"pagewire alert ([0-9a-f]{32})")


@dataclass
class Difference:
    """Against the reference: identities missing (lost), extra or given two contents (duplicated)."""

    compared: int = 0
    repeats: int = 0
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)

    def add(self, other: "Difference") -> None:
        self.compared += other.compared
        self.repeats += other.repeats
        self.lost += other.lost
        self.duplicated += other.duplicated


def family(name: str) -> str:
    """The identity family of a catalog topic: articles.country.kazakhstan -> articles."""
    return "articles" if name.startswith("articles") else name


def identity(name: str, message: Mapping[str, Any], prefix: str) -> str:
    values = []
    for path in IDENTITY[family(name)]:
        value: Any = message
        for part in path.split("."):
            value = value[part]
        values.append(value.removeprefix(prefix) if path == "source.topic" else value)
    return "|".join(str(value) for value in values)


def content(name: str, key: bytes, value: bytes) -> bytes:
    """The key and the message without its volatile fields; the raw bytes when it has none."""
    volatile = VOLATILE.get(family(name))
    if not volatile:
        return key + b"\0" + value
    message = {k: v for k, v in orjson.loads(value).items() if k not in volatile}
    if family(name) == "deadletter":
        message["source"] = {**message["source"], "topic": "-"}
    return key + b"\0" + orjson.dumps(message, option=orjson.OPT_SORT_KEYS)


def compare_topic(
    name: str,
    reference: Iterable[tuple[bytes, bytes]],
    faulted: Iterable[tuple[bytes, bytes]],
    prefixes: tuple[str, str],
) -> Difference:
    """Same identities with the same content; a repeat of an identical message is counted, not failed."""
    expected = _by_identity(name, reference, prefixes[0])
    found = _by_identity(name, faulted, prefixes[1])
    assert all(len(set(contents)) == 1 for contents in expected.values()), f"{name}: reference conflicts"
    difference = Difference(compared=sum(len(contents) for contents in found.values()))
    difference.repeats = difference.compared - len(found)
    difference.lost = [f"{name}: {key}" for key in expected if key not in found]
    for key, contents in found.items():
        if key not in expected or set(contents) != {expected[key][0]}:
            difference.duplicated.append(f"{name}: {key}")
    return difference


def _by_identity(name: str, messages: Iterable[tuple[bytes, bytes]], prefix: str) -> dict[str, list[bytes]]:
    grouped: dict[str, list[bytes]] = defaultdict(list)
    for key, value in messages:
        grouped[identity(name, orjson.loads(value), prefix)].append(content(name, key, value))
    return grouped


def compare_tables(
    key_columns: Mapping[str, tuple[str, ...]],
    reference: Mapping[str, list[dict[str, Any]]],
    faulted: Mapping[str, list[dict[str, Any]]],
    prefixes: tuple[str, str] = ("", ""),
) -> Difference:
    """Row by natural key: each reference row present once with the same values (volatile columns aside;
    a dead letter's source topic without its run's topic prefix)."""
    difference = Difference()
    for table, columns in key_columns.items():
        volatile = VOLATILE_COLUMNS.get(table, frozenset())
        expected = _rows(_unprefixed(reference[table], prefixes[0]), columns, volatile)
        found = _rows(_unprefixed(faulted[table], prefixes[1]), columns, volatile)
        difference.compared += len(faulted[table])
        difference.lost += [f"{table}: {key}" for key in expected if key not in found]
        difference.duplicated += [
            f"{table}: {key}" for key, row in found.items() if key not in expected or expected[key] != row
        ]
    return difference


def _unprefixed(rows: list[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
    if not prefix or not rows or "source_topic" not in rows[0]:
        return rows
    return [{**row, "source_topic": str(row["source_topic"]).removeprefix(prefix)} for row in rows]


def _rows(
    rows: list[dict[str, Any]], columns: tuple[str, ...], volatile: frozenset[str]
) -> dict[str, dict[str, Any]]:
    keyed = {"|".join(str(row[column]) for column in columns): row for row in rows}
    return {key: {c: v for c, v in row.items() if c not in volatile} for key, row in keyed.items()}


def alert_requests(requests: Iterable[Received]) -> dict[str, list[bytes]]:
    """alert id -> every body a chat destination received for it, in arrival order."""
    found: dict[str, list[bytes]] = defaultdict(list)
    for request in requests:
        key = request.headers.get("Idempotency-Key")
        if key is None:
            match = _ALERT_ID.search(request.body.decode())
            assert match, f"no alert id in {request.body!r:.300}"
            key = match.group(1)
        found[key].append(request.body)
    return found


def compare_chat(reference: Iterable[Received], faulted: Iterable[Received], path: str) -> Difference:
    """Every alert arrived; a second request for one is a re-send with the same idempotency key and body."""
    expected, found = alert_requests(reference), alert_requests(faulted)
    difference = Difference(compared=sum(len(bodies) for bodies in found.values()))
    difference.repeats = difference.compared - len(found)
    difference.lost = [f"{path}: {key}" for key in expected if key not in found]
    difference.duplicated = [
        f"{path}: {key}"
        for key, bodies in found.items()
        if key not in expected or set(bodies) != {expected[key][0]}
    ]
    return difference
