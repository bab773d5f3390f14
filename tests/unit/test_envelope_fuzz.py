"""Property tests: any bytes or any JSON as a snapshot envelope give a Snapshot or a SchemaError, quickly."""

import base64
from datetime import timedelta
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.common import codec
from services.domain.errors import SchemaError
from services.domain.instants import parse_instant
from services.domain.page.snapshot import Snapshot, snapshot_from_envelope
from services.domain.schema_ids import SNAPSHOT
from tests.conftest import SEED

QUICKLY = settings(max_examples=300, deadline=timedelta(milliseconds=500))
REASONS = {
    "empty_message",
    "invalid_json",
    "wrong_schema",
    "schema_mismatch",
    "invalid_body_encoding",
    "invalid_time",
    "size_mismatch",
    "snapshot_id_mismatch",
}
FETCHED_AT = parse_instant("2025-02-19T06:00:00Z")


def envelope() -> dict[str, Any]:
    """A valid envelope of the seed page's first 2,000 bytes."""
    body = SEED.read_bytes()[:2000]
    snapshot = Snapshot(body, "https://timesca.com/news/", "timesca.com", FETCHED_AT, "text/plain", None)
    return snapshot.to_envelope()


int64 = st.integers(-(2**63), 2**63 - 1)  # what orjson can write; larger ones are tested as raw text below
json_values = st.recursive(
    st.none() | st.booleans() | int64 | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


def read(raw: bytes | None) -> None:
    """What the worker's decode stage does with a snapshots.raw value."""
    try:
        assert isinstance(snapshot_from_envelope(codec.decode(raw, SNAPSHOT)), Snapshot)
    except SchemaError as error:
        assert error.reason in REASONS, error.reason


@QUICKLY
@given(raw=st.binary(max_size=2048))
def test_any_bytes_are_a_snapshot_or_a_schema_error(raw: bytes) -> None:
    read(raw)


@QUICKLY
@given(value=json_values)
def test_any_json_is_a_snapshot_or_a_schema_error(value: Any) -> None:
    read(orjson.dumps(value))


fields = st.sampled_from(sorted(envelope()))


@QUICKLY
@given(
    missing=st.sets(fields, max_size=3),
    changed=st.dictionaries(fields, json_values, max_size=3),
    extra=st.dictionaries(st.text(min_size=1, max_size=12), json_values, max_size=2),
)
def test_envelopes_with_missing_wrongly_typed_or_extra_fields_are_refused_with_a_reason(
    missing: set[str], changed: dict[str, Any], extra: dict[str, Any]
) -> None:
    message = {k: v for k, v in envelope().items() if k not in missing} | changed | extra
    read(orjson.dumps(message))


instants = st.one_of(
    st.datetimes().map(lambda moment: moment.isoformat() + "Z"),
    st.from_regex(r"\A\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z\Z"),
)


@QUICKLY
@given(
    fetched_at=instants,
    size=int64,
    body=st.binary(max_size=64),
    snapshot_id=st.text(max_size=66),
)
def test_envelope_values_that_match_the_schema_but_lie_are_refused_with_a_reason(
    fetched_at: str, size: int, body: bytes, snapshot_id: str
) -> None:
    for changes in (
        {"fetched_at": fetched_at},
        {"size": size},
        {"body": base64.b64encode(body).decode()},
        {"body": base64.b64encode(body).decode()[:-1]},
        {"snapshot_id": snapshot_id},
    ):
        read(orjson.dumps(envelope() | changes))


@pytest.mark.parametrize(
    ("field", "text", "reason"),
    [
        # JSON Schema counts a float with no fraction as an integer: then it is just the wrong size
        ("size", "99999999999999999999999", "size_mismatch"),
        ("size", "1e400", "invalid_json"),
        ("size", "2001.0", "size_mismatch"),
        ("size", "true", "schema_mismatch"),
        ("fetched_at", '"0000-01-01T00:00:00Z"', "invalid_time"),
        ("fetched_at", '"2025-02-30T06:00:00Z"', "invalid_time"),
        ("body", '"c2VlZA==\\n"', "invalid_body_encoding"),
        ("snapshot_id", '"' + "A" * 64 + '"', "schema_mismatch"),
        ("charset", "7", "schema_mismatch"),
    ],
)
def test_raw_json_values_the_generators_cannot_write_are_refused_with_their_reason(
    field: str, text: str, reason: str
) -> None:
    message = envelope()
    raw = orjson.dumps(message).replace(
        f'"{field}":'.encode() + orjson.dumps(message[field]), f'"{field}":{text}'.encode()
    )
    with pytest.raises(SchemaError) as refused:
        snapshot_from_envelope(codec.decode(raw, SNAPSHOT))
    assert refused.value.reason == reason
