"""The one codec between wire JSON and in-process values: orjson plus JSON Schema validation."""

from collections.abc import Callable, Collection, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema
import orjson

from services.common.paths import schemas_dir
from services.domain.errors import SchemaError

Validator = Callable[[Any], Any]


def schema_file(name: str) -> Path:
    """'pagewire.rate_delta/1' -> schemas/json/pagewire.rate_delta.v1.json"""
    base, _, version = name.partition("/")
    return schemas_dir() / "json" / f"{base}.v{version}.json"


@cache
def validator(name: str) -> Validator:
    try:
        definition = orjson.loads(schema_file(name).read_bytes())
    except FileNotFoundError as exc:
        raise SchemaError(f"unknown message schema {name!r}", reason="unknown_schema") from exc
    compiled: Validator = fastjsonschema.compile(
        _without_content_encoding(definition), formats={"date-time": _any, "date": _any}
    )
    return compiled


def _without_content_encoding(node: Any) -> Any:
    """The schema without its `contentEncoding` annotations. fastjsonschema checks one by decoding the
    value, leniently (it skips characters that are not base64): a snapshot's 19 KB body was decoded
    twice, once here for nothing and once, strictly, by whoever reads it (snapshot_from_envelope)."""
    if isinstance(node, dict):
        return {
            key: _without_content_encoding(value) for key, value in node.items() if key != "contentEncoding"
        }
    if isinstance(node, list):
        return [_without_content_encoding(value) for value in node]
    return node


def _any(_: str) -> bool:
    # the schemas pin both formats with patterns; the domain parses them strictly
    return True


def validate(message: Mapping[str, Any], name: str | None = None) -> None:
    """Raise SchemaError unless `message` is a valid `name` (default: its own `schema` field)."""
    schema = name or message.get("schema")
    if not isinstance(schema, str):
        raise SchemaError("message has no 'schema' field", reason="missing_schema")
    try:
        validator(schema)(message)
    except fastjsonschema.JsonSchemaValueException as exc:
        raise SchemaError(f"{schema}: {exc.message}", reason="schema_mismatch") from exc


def encode(message: Mapping[str, Any], *, check: bool = True) -> bytes:
    """Serialise a message for Kafka; validated against its own schema unless `check` is False."""
    if check:
        validate(message)
    return orjson.dumps(message)


def decode(raw: bytes | None, expected: str | Collection[str]) -> dict[str, Any]:
    """Parse and validate a Kafka value that must be an `expected` message (or one of several versions)."""
    if raw is None:
        raise SchemaError("empty message (tombstone)", reason="empty_message")
    try:
        message = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise SchemaError(f"not JSON: {exc}", reason="invalid_json") from exc
    if not isinstance(message, dict):
        raise SchemaError("not a JSON object", reason="invalid_json")
    accepted = (expected,) if isinstance(expected, str) else tuple(sorted(expected))
    schema = message.get("schema")
    if schema not in accepted:
        wanted = " or ".join(accepted)
        raise SchemaError(f"expected schema {wanted}, got {schema!r}", reason="wrong_schema")
    validate(message)
    return message
