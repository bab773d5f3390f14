"""Generic JSON webhook: the alert event itself, signed with HMAC-SHA256 and keyed for idempotency."""

import hashlib
import hmac
from typing import Final

from services.domain.alerts.alert import Alert
from services.domain.alerts.chat.text import JSON_HEADERS, Payload, encode_body
from services.domain.errors import ConfigError
from services.domain.messages import alert_message

TIMESTAMP_HEADER: Final = "X-Pagewire-Timestamp"
SIGNATURE_HEADER: Final = "X-Pagewire-Signature"
IDEMPOTENCY_HEADER: Final = "Idempotency-Key"


def build(alert: Alert, *, secret: str, timestamp: int) -> Payload:
    """(body, headers); send exactly `encode_body(body)`, the bytes the signature covers.

    The signature is hex HMAC-SHA256 with `secret` over "<timestamp>.<body>" (timestamp in Unix seconds),
    so a receiver can reject replays outside its tolerance window as well as forgeries.
    """
    if not secret:
        raise ConfigError("a webhook destination needs a signing secret")
    body = alert_message(alert)
    headers = {
        **JSON_HEADERS,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: "sha256=" + sign(secret, timestamp, encode_body(body)),
        IDEMPOTENCY_HEADER: alert.alert_id,
    }
    return body, headers


def sign(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver does: recompute and compare in constant time."""
    if not timestamp.isdigit():
        return False
    expected = "sha256=" + sign(secret, int(timestamp), body)
    return hmac.compare_digest(expected, signature)
