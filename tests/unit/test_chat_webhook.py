"""The generic webhook: the alert itself, signed (HMAC-SHA256) and keyed for idempotency."""

import hashlib
import hmac
import json

import pytest

from services.common.codec import validate
from services.domain.alerts.chat import build_payload, encode_body, webhook
from services.domain.errors import ConfigError
from services.domain.messages import alert_message
from tests.support.alerts import INJECTION, alert_value

SECRET = "s3cret"
TIMESTAMP = 1739948400


def test_the_body_is_the_alert_and_the_headers_sign_it() -> None:
    sample = alert_value()
    body, headers = webhook.build(sample, secret=SECRET, timestamp=TIMESTAMP)
    assert body == alert_message(sample)
    validate(body)
    raw = encode_body(body)
    expected = hmac.new(SECRET.encode(), b"1739948400." + raw, hashlib.sha256).hexdigest()
    assert headers == {
        "Content-Type": "application/json",
        "X-Pagewire-Timestamp": "1739948400",
        "X-Pagewire-Signature": f"sha256={expected}",
        "Idempotency-Key": "9c4b2e7d1a0f3e5c8b6d4a2f0e1c3b5d",
    }


def test_a_receiver_with_the_secret_verifies_it_and_rejects_tampering() -> None:
    body, headers = webhook.build(alert_value(), secret=SECRET, timestamp=TIMESTAMP)
    raw = encode_body(body)
    stamp, signature = headers["X-Pagewire-Timestamp"], headers["X-Pagewire-Signature"]
    assert webhook.verify(SECRET, stamp, raw, signature)
    assert not webhook.verify("other", stamp, raw, signature)
    assert not webhook.verify(SECRET, "1739948401", raw, signature)
    assert not webhook.verify(SECRET, stamp, raw.replace(b"warning", b"critical"), signature)
    assert not webhook.verify(SECRET, "soon", raw, signature)


def test_the_signature_is_stable_for_known_input() -> None:
    assert webhook.sign(SECRET, TIMESTAMP, b'{"a":1}') == (
        hmac.new(b"s3cret", b'1739948400.{"a":1}', hashlib.sha256).hexdigest()
    )


def test_the_secret_never_travels_in_the_body() -> None:
    for kind in ("slack", "discord", "mattermost", "teams", "webhook"):
        body, headers = build_payload(kind, alert_value(), secret=SECRET, timestamp=TIMESTAMP)
        assert SECRET.encode() not in encode_body(body)
        assert all(SECRET not in value for value in headers.values())


def test_the_body_bytes_are_compact_utf8_json_and_page_text_is_left_as_data() -> None:
    body, _ = webhook.build(alert_value(site=INJECTION), secret=SECRET, timestamp=TIMESTAMP)
    raw = encode_body(body)
    assert json.loads(raw) == body
    assert b'"site":"<!channel> @everyone' in raw
    assert encode_body({"rate": "0.01144", "note": "é"}) == '{"rate":"0.01144","note":"é"}'.encode()


def test_a_webhook_without_a_secret_is_refused() -> None:
    with pytest.raises(ConfigError, match="needs a signing secret"):
        webhook.build(alert_value(), secret="", timestamp=TIMESTAMP)
