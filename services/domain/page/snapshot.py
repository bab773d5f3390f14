"""The snapshot envelope: one fetched or replayed page body with its provenance (pagewire.snapshot/1)."""

import base64
import binascii
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.domain.errors import SchemaError
from services.domain.instants import format_instant, parse_instant
from services.domain.schema_ids import SNAPSHOT


@dataclass(frozen=True)
class Snapshot:
    """One page body as fetched, with where and when it came from."""

    body: bytes
    source_url: str
    site: str
    fetched_at: datetime
    content_type: str
    charset: str | None

    @property
    def snapshot_id(self) -> str:
        """sha256 of the body: the same bytes are the same snapshot, whoever fetched them."""
        return hashlib.sha256(self.body).hexdigest()

    def to_envelope(self) -> dict[str, Any]:
        return {
            "schema": SNAPSHOT,
            "snapshot_id": self.snapshot_id,
            "source_url": self.source_url,
            "site": self.site,
            "fetched_at": format_instant(self.fetched_at),
            "content_type": self.content_type,
            "charset": self.charset,
            "size": len(self.body),
            "body": base64.b64encode(self.body).decode("ascii"),
        }


def snapshot_from_envelope(envelope: dict[str, Any]) -> Snapshot:
    """Rebuild a Snapshot from a schema-valid envelope, checking that id and size match the body."""
    try:
        body = base64.b64decode(envelope["body"], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SchemaError("snapshot body is not valid base64", reason="invalid_body_encoding") from exc
    snapshot = Snapshot(
        body=body,
        source_url=envelope["source_url"],
        site=envelope["site"],
        fetched_at=parse_instant(envelope["fetched_at"]),
        content_type=envelope["content_type"],
        charset=envelope["charset"],
    )
    if len(body) != envelope["size"]:
        raise SchemaError(
            f"snapshot size says {envelope['size']} bytes, body has {len(body)}", reason="size_mismatch"
        )
    if snapshot.snapshot_id != envelope["snapshot_id"]:
        raise SchemaError("snapshot_id is not the sha256 of the body", reason="snapshot_id_mismatch")
    return snapshot
