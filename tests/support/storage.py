"""Storage test helpers: varied valid messages of every stored type, and those read back from the tables."""

import base64
import copy
from typing import Any

import orjson

from services.common import codec
from services.common.catalog import Catalog
from services.common.settings import Settings
from services.sinks.storage.database import Database
from services.sinks.storage.tables import TABLES
from tests.conftest import REPO
from tests.support.kafka import send

EXAMPLES = REPO / "schemas" / "examples"
SNAP_A = "a" * 64
SNAP_B = "b" * 64


def example(kind: str, version: int | None = None) -> dict[str, Any]:
    """schemas/examples/pagewire.<kind>.v<N>.json, e.g. example("ticker_row"); the newest version unless
    `version` asks for an older one."""
    found = sorted(
        EXAMPLES.glob(f"pagewire.{kind}.v*.json"), key=lambda path: int(path.stem.rsplit(".v", 1)[1])
    )
    path = found[-1] if version is None else EXAMPLES / f"pagewire.{kind}.v{version}.json"
    loaded: dict[str, Any] = orjson.loads(path.read_bytes())
    return loaded


def varied(name: str, /, **changes: Any) -> dict[str, Any]:
    message = copy.deepcopy(example(name))
    message.update(changes)
    return message


def ticker_row(pair: str, when: str, rate: str, change_pct: str, snapshot: str = SNAP_A) -> dict[str, Any]:
    base, quote = pair.split("/")
    return varied(
        "ticker_row", pair=pair, base=base, quote=quote, rate=rate, change_pct=change_pct, event_time=when
    ) | {"snapshot_id": snapshot}


def corpus() -> dict[str, list[dict[str, Any]]]:
    """catalog topic name -> messages: every stored type, with edge values (-0, nulls, empty labels)."""
    delta = example("rate_delta")
    quantised = varied(
        "rate_delta",
        pair="UZS/USD",
        event_time="2025-02-19T08:00:00.250000Z",
        previous_rate="0.00008",
        rate="0.00009",
        change="0.00001",
        change_pct="12.5",
        change_bps="1250.0000",
        reported_change_pct="-0",
        seconds_since_previous=7200.25,
        tick_size="0.00001",
        change_ticks=1,
        quantised=True,
        windows={"1h": None, "24h": delta["windows"]["24h"]},
    )
    revised = varied("article", revision=2, event_time="2025-02-19T09:00:00Z", body="A changed body.")
    revised["labels"]["countries"] = revised["labels"]["countries"][:1]
    unlabelled = varied(
        "article",
        article_id="0123456789abcdef0123456789abcdef",
        title="Weather In Bishkek",
        body="Snow, then sun …",
        dateline="BISHKEK",
        truncated=True,
        listing_date=None,
        labels={"countries": [], "subjects": []},
        event_time="2025-02-19T07:30:00Z",
        first_seen="2025-02-19T07:30:00Z",
    )
    return {
        "ticker.rows": [
            ticker_row("KGS/USD", "2025-02-19T06:00:00Z", "0.01144", "0"),
            ticker_row("TJS/USD", "2025-02-19T06:00:00Z", "0.09156", "-0.11"),
            ticker_row("UZS/USD", "2025-02-19T06:00:00Z", "0.00008", "-0", SNAP_B),
            ticker_row("KGS/USD", "2025-02-19T07:00:00Z", "0.01146", "0.17"),
            ticker_row("KZT/USD", "2025-02-19T07:00:00.500000Z", "0.00196", "1.20"),
        ],
        "rates.deltas": [delta, quantised],
        "ticker.staleness": [
            example("staleness"),
            varied("staleness", state="recovered", event_time="2025-02-19T13:00:00Z", silent_seconds=25200),
        ],
        "articles": [example("article"), revised, unlabelled],
        "snapshots.parsed": [
            example("snapshot_summary"),
            varied(
                "snapshot_summary",
                snapshot_id=SNAP_B,
                pagination=None,
                heading="Tag: Uzbekistan",
                warnings=["no ticker found"],
                lines=12,
                dropped_lines=3,
            ),
            # an older pagewire's summary, still on the topic after an upgrade: stored all the same
            example("snapshot_summary", version=1) | {"snapshot_id": "c" * 64},
        ],
        "alerts": [
            example("alert"),
            varied(
                "alert",
                alert_id="1" * 32,
                status="resolved",
                metric="staleness",
                window=None,
                value=None,
                threshold="21600",
                summary="UZS/USD <b>recovered</b> on timesca.com",
                pair="UZS/USD",
                group_key="stale|timesca.com|UZS/USD",
            ),
        ],
        "alerts.deliveries": [
            example("alert_delivery"),
            varied(
                "alert_delivery",
                destination="hooks",
                kind="webhook",
                outcome="dead_lettered",
                attempts=7,
                status_code=None,
                reason="deadline exceeded after 7 attempts",
            ),
        ],
        "deadletter": [
            example("deadletter"),  # a snapshot of timesca.com whose body was not UTF-8
            varied(
                "deadletter",
                stage="store",
                reason="nul_character",
                error="ticker_rows.rate: text contains U+0000",
                source={
                    "topic": "pagewire.ticker.rows",
                    "partition": 0,
                    "offset": 7,
                    "key": base64.b64encode(b"timesca.com|KGS/USD").decode(),
                },
                original=base64.b64encode(b'{"rate":"0.0\\u00001"}').decode(),
                event_time="2025-02-19T07:00:02Z",
            ),
            varied(
                "deadletter",
                stage="decode",
                reason="empty_message",
                error="a tombstone (no value) on snapshots.raw",
                source={"topic": "pagewire.snapshots.raw", "partition": 1, "offset": 3, "key": None},
                original="",
                event_time="2025-02-19T07:00:03Z",
            ),
        ],
    }


async def produce(settings: Settings, catalog: Catalog, messages: dict[str, list[dict[str, Any]]]) -> None:
    """Send messages to their catalog topics, keyed as the catalog says, and wait for the broker's ack."""
    for name, sent in messages.items():
        await send(settings.kafka, catalog.name(name), [(key_of(name, m), codec.encode(m)) for m in sent])


def key_of(topic: str, message: dict[str, Any]) -> bytes:
    """The Kafka key the catalog names for each topic."""
    if topic in {"ticker.rows", "rates.deltas", "ticker.staleness"}:
        return f"{message['site']}|{message['pair']}".encode()
    if topic == "deadletter":
        key = message["source"]["key"]
        return base64.b64decode(key) if key is not None else message["stage"].encode()
    field = {"articles": "article_id", "snapshots.parsed": "site", "alerts": "group_key"}.get(
        topic, "alert_id"
    )
    return str(message[field]).encode()


async def stored_messages(database: Database) -> dict[str, list[dict[str, Any]]]:
    """Every table read back as the wire messages it holds, ordered by natural key."""
    found: dict[str, list[dict[str, Any]]] = {}

    async def rows(table: str, order: str) -> list[dict[str, Any]]:
        return await database.fetch(f"SELECT * FROM {table} ORDER BY {order}")

    found["ticker.rows"] = [
        _message("ticker_row", row) for row in await rows("ticker_rows", "site, pair, event_time")
    ]
    found["rates.deltas"] = [
        _message("rate_delta", row, quantised=bool(row["quantised"]), windows=_json(row["windows"]))
        for row in await rows("rate_deltas", "site, pair, event_time")
    ]
    found["ticker.staleness"] = [
        _message("staleness", row) for row in await rows("staleness_events", "site, pair, state, event_time")
    ]
    labels: dict[tuple[str, int], dict[str, list[dict[str, Any]]]] = {}
    for row in await rows("article_labels", "article_id, revision, family, ordinal"):
        family = labels.setdefault((row["article_id"], row["revision"]), {"countries": [], "subjects": []})
        label = {"slug": row["slug"], "name": row["name"], "score": row["score"], "cues": _json(row["cues"])}
        family[row["family"]].append(label)
    found["articles"] = [
        _message(
            "article",
            row,
            truncated=bool(row["truncated"]),
            labels=labels.get((row["article_id"], row["revision"]), {"countries": [], "subjects": []}),
        )
        for row in await rows("articles", "article_id, revision")
    ]
    found["snapshots.parsed"] = [_summary(row) for row in await rows("snapshots", "snapshot_id")]
    found["alerts"] = [
        _message("alert", _renamed(row, time_window="window")) for row in await rows("alerts", "alert_id")
    ]
    found["alerts.deliveries"] = [
        _message("alert_delivery", row) for row in await rows("alert_deliveries", "alert_id, destination")
    ]
    found["deadletter"] = [
        _deadletter(row)
        for row in await rows("deadletters", "stage, source_topic, source_partition, source_offset")
    ]
    return found


def _deadletter(row: dict[str, Any]) -> dict[str, Any]:
    """A deadletters row as the message it came from (its key was stored as text: UTF-8 here)."""
    key = row["source_key"]
    source = {
        "topic": row["source_topic"],
        "partition": row["source_partition"],
        "offset": row["source_offset"],
        "key": None if key is None else base64.b64encode(key.encode()).decode(),
    }
    assert len(base64.b64decode(row["original"])) == row["original_size"]
    fields = ("stage", "reason", "error", "original", "snapshot_id", "event_time")
    return {"schema": "pagewire.deadletter/1", **{name: row[name] for name in fields}, "source": source}


async def dump(database: Database) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table as stored, ordered by natural key."""
    return {
        table.name: await database.fetch(f"SELECT * FROM {table.name} ORDER BY {', '.join(table.key)}")
        for table in TABLES
    }


def by_key(messages: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Sent messages in the order stored_messages reads them back (natural key order)."""
    keys = {
        "ticker.rows": ("site", "pair", "event_time"),
        "rates.deltas": ("site", "pair", "event_time"),
        "ticker.staleness": ("site", "pair", "state", "event_time"),
        "articles": ("article_id", "revision"),
        "snapshots.parsed": ("snapshot_id",),
        "alerts": ("alert_id",),
        "alerts.deliveries": ("alert_id", "destination"),
    }

    def natural(topic: str, message: dict[str, Any]) -> tuple[Any, ...]:
        if topic == "deadletter":
            source = message["source"]
            return message["stage"], source["topic"], source["partition"], source["offset"]
        return tuple(message[name] for name in keys[topic])

    return {
        topic: sorted(found, key=lambda message, topic=topic: natural(topic, message))
        for topic, found in messages.items()
    }


def _message(kind: str, row: dict[str, Any], version: int = 1, **overrides: Any) -> dict[str, Any]:
    message = {key: value for key, value in row.items() if key != "event_us"}
    return {"schema": f"pagewire.{kind}/{version}", **message, **overrides}


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    """A snapshots row as the summary it came from: version 1 when it has no line counts."""
    names = {"ticker_row_count": "ticker_rows", "article_count": "articles"}
    names |= {"line_count": "lines", "dropped_line_count": "dropped_lines"}
    fields = _renamed(row, **names)
    version = 2
    if row["line_count"] is None:
        fields = {
            key: value for key, value in fields.items() if key not in ("heading", "lines", "dropped_lines")
        }
        version = 1
    return _message(
        "snapshot_summary",
        fields,
        version,
        pagination=_json(row["pagination"]),
        warnings=_json(row["warnings"]),
    )


def _renamed(row: dict[str, Any], **names: str) -> dict[str, Any]:
    return {names.get(key, key): value for key, value in row.items()}


def _json(value: Any) -> Any:
    """SQLite hands JSON columns back as text, psycopg as parsed values."""
    return orjson.loads(value) if isinstance(value, str) else value
