"""The dead-letter envelope (pagewire.deadletter/1): input a stage could not process, kept whole, and why."""

import base64
import re
from datetime import datetime
from typing import Any

import orjson

from services.domain.instants import format_instant
from services.domain.schema_ids import DEADLETTER

MAX_ERROR_CHARS = 2000
_SNAPSHOT_ID = re.compile(r"^[0-9a-f]{64}$")


def deadletter_message(
    *,
    stage: str,
    reason: str,
    error: str,
    topic: str,
    partition: int,
    offset: int,
    key: bytes | None,
    value: bytes | None,
    now: datetime,
) -> dict[str, Any]:
    """The envelope for one Kafka record; `error` must already be free of secrets."""
    return {
        "schema": DEADLETTER,
        "stage": stage,
        "reason": reason,
        "error": error[:MAX_ERROR_CHARS],
        "source": {"topic": topic, "partition": partition, "offset": offset, "key": _base64(key)},
        "original": _base64(value or b""),
        "snapshot_id": snapshot_id_of(value),
        "event_time": format_instant(now),
    }


def deadletter_of(record: Any, *, stage: str, reason: str, error: str, now: datetime) -> dict[str, Any]:
    """The envelope for a consumed Kafka record: anything with topic, partition, offset, key and value."""
    return deadletter_message(
        stage=stage,
        reason=reason,
        error=error,
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        key=record.key,
        value=record.value,
        now=now,
    )


def deadletter_key(key: bytes | None, stage: str) -> bytes:
    """The original key keeps a message's dead letters in one partition, in order; else the stage name."""
    return key if key is not None else stage.encode()


def snapshot_id_of(value: bytes | None) -> str | None:
    """The snapshot_id a broken message still carries, when it is JSON enough to tell: provenance."""
    try:
        message = orjson.loads(value or b"")
    except orjson.JSONDecodeError:
        return None
    found = message.get("snapshot_id") if isinstance(message, dict) else None
    return found if isinstance(found, str) and _SNAPSHOT_ID.match(found) else None


def _base64(raw: bytes | None) -> str | None:
    return None if raw is None else base64.b64encode(raw).decode("ascii")
