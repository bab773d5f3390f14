"""A dead letter keeps the original bytes and where they came from, and says why, valid against its schema."""

import base64
from datetime import UTC, datetime

from services.common import codec
from services.common.deadletter import deadletter_key, deadletter_message, snapshot_id_of


def test_the_envelope_holds_the_original_bytes_source_and_reason() -> None:
    original = b'{"schema":"pagewire.ticker_row/1","snapshot_id":"' + b"a" * 64 + b'"}'

    envelope = deadletter_message(
        stage="store",
        reason="schema_mismatch",
        error="x" * 3000,
        topic="pagewire.ticker.rows",
        partition=4,
        offset=17,
        key=b"timesca.com|KGS/USD",
        value=original,
        now=datetime(2025, 2, 19, 6, 0, 1, tzinfo=UTC),
    )

    assert envelope == {
        "schema": "pagewire.deadletter/1",
        "stage": "store",
        "reason": "schema_mismatch",
        "error": "x" * 2000,
        "source": {
            "topic": "pagewire.ticker.rows",
            "partition": 4,
            "offset": 17,
            "key": "dGltZXNjYS5jb218S0dTL1VTRA==",
        },
        "original": base64.b64encode(original).decode(),
        "snapshot_id": "a" * 64,
        "event_time": "2025-02-19T06:00:01Z",
    }
    codec.validate(envelope)


def test_a_tombstone_without_key_still_makes_a_valid_envelope() -> None:
    envelope = deadletter_message(
        stage="store",
        reason="empty_message",
        error="empty message (tombstone)",
        topic="t",
        partition=0,
        offset=0,
        key=None,
        value=None,
        now=datetime(2025, 2, 19, tzinfo=UTC),
    )

    assert (envelope["source"]["key"], envelope["original"], envelope["snapshot_id"]) == (None, "", None)
    codec.validate(envelope)
    assert deadletter_key(None, "store") == b"store"
    assert deadletter_key(b"k", "store") == b"k"


def test_snapshot_id_is_taken_only_when_it_looks_like_one() -> None:
    assert snapshot_id_of(b"\xff\xfe") is None
    assert snapshot_id_of(b"[1, 2]") is None
    assert snapshot_id_of(b'{"snapshot_id": "not-hex"}') is None
    assert snapshot_id_of(b'{"snapshot_id": "' + b"0" * 64 + b'"}') == "0" * 64
