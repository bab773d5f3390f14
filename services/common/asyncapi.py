"""The AsyncAPI 3.0 document for subscribers, generated from the topic catalog and the JSON Schemas."""

from importlib.metadata import version
from typing import Any

import orjson

from services.common.catalog import Catalog, TopicSpec, retention_ms
from services.common.codec import schema_file

_BINDING_VERSION = "0.5.0"


def asyncapi_document(catalog: Catalog, bootstrap: str = "localhost:9092") -> dict[str, Any]:
    """Channels for every topic (label families as one parameterised channel each): the public ones to
    receive, snapshots.raw to send."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for channel_id, spec, labels in _channels(catalog):
        message_id = _message_id(spec.value)
        messages.setdefault(message_id, _message(spec, message_id))
        schemas.setdefault(message_id, _payload_schema(spec.value))
        channels[channel_id] = _channel(catalog, channel_id, spec, message_id, labels)
        # public topics are pagewire's outputs, to subscribe to; the others (snapshots.raw) its input, which
        # `pagewire produce` writes and any other producer may write to, keeping the same contract
        action = "receive" if spec.public else "send"
        verb = "Subscribe to" if spec.public else "Publish page snapshots for pagewire to process to"
        operations[f"{action}.{channel_id}"] = {
            "action": action,
            "summary": f"{verb} {catalog.prefix}{channel_id}",
            "channel": {"$ref": f"#/channels/{_pointer(channel_id)}"},
            "messages": [{"$ref": f"#/channels/{_pointer(channel_id)}/messages/{message_id}"}],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "pagewire topics",
            "version": version("pagewire"),
            "description": (
                "Kafka topics of pagewire: snapshots.raw, its input, and the public topics it writes. "
                "Values are UTF-8 JSON; every message carries `schema` "
                "(name/version), `snapshot_id` (provenance) and `event_time` (RFC 3339 UTC). Keys are UTF-8 "
                f"strings. Topic names carry the configurable prefix, here {catalog.prefix!r}."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {"host": bootstrap, "protocol": "kafka", "description": "the local development broker"}
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def _channels(catalog: Catalog) -> list[tuple[str, TopicSpec, list[str]]]:
    found: list[tuple[str, TopicSpec, list[str]]] = []
    families: dict[str, list[str]] = {}
    for spec in catalog.topics:
        if spec.family and spec.label:
            template = spec.name[: -len(spec.label)] + "{slug}"
            if template not in families:
                families[template] = []
                found.append((template, spec, families[template]))
            families[template].append(spec.label)
        else:
            found.append((spec.name, spec, []))
    return found


def _channel(catalog: Catalog, channel_id: str, spec: TopicSpec, message_id: str, labels: list[str]) -> Any:
    channel: dict[str, Any] = {
        "address": catalog.prefix + channel_id,
        "title": channel_id,
        "description": spec.description,
        "messages": {message_id: {"$ref": f"#/components/messages/{message_id}"}},
        "bindings": {
            "kafka": {
                "partitions": spec.partitions,
                "topicConfiguration": {
                    "cleanup.policy": spec.cleanup.split(","),
                    "retention.ms": retention_ms(spec.retention),
                },
                "bindingVersion": _BINDING_VERSION,
            }
        },
    }
    if labels:
        channel["parameters"] = {
            "slug": {"enum": labels, "description": f"a label of the {spec.family} family"}
        }
    else:
        channel["bindings"]["kafka"]["topic"] = catalog.prefix + spec.name
    return channel


def _message(spec: TopicSpec, message_id: str) -> dict[str, Any]:
    schema = orjson.loads(schema_file(spec.value).read_bytes())
    return {
        "name": spec.value,
        "title": schema.get("title", spec.value),
        "summary": schema.get("description", ""),
        "contentType": "application/json",
        "payload": {"$ref": f"#/components/schemas/{message_id}"},
        "bindings": {
            "kafka": {"key": {"type": "string", "description": spec.key}, "bindingVersion": _BINDING_VERSION}
        },
    }


def _payload_schema(name: str) -> dict[str, Any]:
    schema = orjson.loads(schema_file(name).read_bytes())
    return {key: value for key, value in schema.items() if key not in {"$schema", "$id"}}


def _message_id(schema_name: str) -> str:
    return schema_name.removeprefix("pagewire.").replace("/", "_v")


def _pointer(channel_id: str) -> str:
    # JSON Pointer escaping; channel ids hold dots and braces, which need none, but "/" and "~" would
    return channel_id.replace("~", "~0").replace("/", "~1")
