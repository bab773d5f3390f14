"""JSON-lines logs carry their context, and nothing that looks like a secret ever reaches the output."""

import io
import logging
import sys
from collections.abc import Iterator

import orjson
import pytest

from services.common.logging import (
    JsonFormatter,
    Redactor,
    TextFormatter,
    configure_logging,
    log_context,
    redact,
)
from services.common.settings import Secret, Settings
from services.domain.errors import ConfigError

DB_PASSWORD = "s3cret-pw"
SLACK = "https://hooks.slack.com/services/T0001/B0002/XXXXXXXXXXXXXXXXXXXXXXXX"
DISCORD = "https://discord.com/api/webhooks/123456789/abcdefTOKENghijkl"
TELEGRAM = "https://api.telegram.org/bot123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage"
TEAMS = "https://contoso.webhook.office.com/webhookb2/7aa49aa6-7840/IncomingWebhook/0f2d/4c8e"
GENERIC = "https://receiver.internal.example/alerts/incoming"


def _record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("pagewire.test", logging.WARNING, __file__, 1, message, args or None, None)
    record.__dict__.update(extra)
    return record


def _json(record: logging.LogRecord) -> dict[str, object]:
    line = JsonFormatter(Redactor([GENERIC])).format(record)
    assert "\n" not in line
    parsed: dict[str, object] = orjson.loads(line)
    return parsed


def test_a_json_line_has_the_standard_fields_then_context_then_extra() -> None:
    record = _record("stored %d rows", 3, table="ticker_rows")
    record.created = 1739959200.25
    with log_context(snapshot_id="ab12", topic="pagewire.ticker.rows", partition=2, offset=41):
        entry = _json(record)
    assert entry == {
        "ts": "2025-02-19T10:00:00.250Z",
        "level": "warning",
        "logger": "pagewire.test",
        "event": "stored 3 rows",
        "snapshot_id": "ab12",
        "topic": "pagewire.ticker.rows",
        "partition": 2,
        "offset": 41,
        "table": "ticker_rows",
    }


def test_context_is_scoped_to_its_block_and_nests() -> None:
    with log_context(alert_id="a-1"):
        with log_context(topic="alerts"):
            inner = _json(_record("x"))
        outer = _json(_record("x"))
    after = _json(_record("x"))
    assert (inner["alert_id"], inner["topic"]) == ("a-1", "alerts")
    assert "topic" not in outer and outer["alert_id"] == "a-1"
    assert "alert_id" not in after


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            f"connect postgresql://pagewire:{DB_PASSWORD}@db:5432/pagewire failed",
            "connect postgresql://pagewire:****@db:5432/pagewire failed",
        ),
        (f"POST {SLACK} -> 500", "POST https://hooks.slack.com/**** -> 500"),
        (f"POST {DISCORD}", "POST https://discord.com/****"),
        (f"POST {TELEGRAM}", "POST https://api.telegram.org/****"),
        (f"POST {TEAMS}", "POST https://contoso.webhook.office.com/****"),
        (
            "GET https://api.example/x?page=2&token=abc123&q=1",
            "GET https://api.example/x?page=2&token=****&q=1",
        ),
        ("headers Authorization: Bearer eyJhbGciOi.abc", "headers Authorization: Bearer ****"),
        ("login password=hunter22 user=bob", "login password=**** user=bob"),
        (f"deliver to {GENERIC}", "deliver to ****"),
        ("fetched https://timesca.example/news?page=2", "fetched https://timesca.example/news?page=2"),
    ],
)
def test_secrets_are_masked_and_ordinary_text_is_left_alone(text: str, expected: str) -> None:
    assert Redactor([GENERIC])(text) == expected


def test_extra_fields_secret_objects_and_exceptions_are_redacted() -> None:
    try:
        raise RuntimeError(f"could not reach {SLACK}")
    except RuntimeError:
        record = _record(
            "delivery failed",
            webhook_url=SLACK,
            database_url=Secret(f"postgresql://pagewire:{DB_PASSWORD}@db/pagewire"),
            headers={"Authorization": "Bearer abcdefgh"},
            destination="ops",
        )
        record.exc_info = sys.exc_info()
    entry = _json(record)
    line = orjson.dumps(entry).decode()
    for secret in (DB_PASSWORD, "XXXXXXXXXXXXXXXXXXXXXXXX", "abcdefgh"):
        assert secret not in line
    assert entry["webhook_url"] == "****"
    assert entry["headers"] == {"Authorization": "****"}
    assert entry["destination"] == "ops"
    assert "RuntimeError: could not reach https://hooks.slack.com/****" in str(entry["exc"])


def test_the_text_format_is_redacted_too() -> None:
    line = TextFormatter(Redactor()).format(_record("to %s", SLACK, destination="ops"))
    assert line.endswith("WARNING pagewire.test: to https://hooks.slack.com/**** destination=ops")


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    yield
    root.handlers[:] = saved[1]
    root.setLevel(saved[0])


@pytest.mark.usefixtures("restore_logging")
def test_configure_logging_routes_libraries_and_masks_every_configured_secret() -> None:
    password = "pw-from-settings-9"
    settings = Settings.load(
        {
            "PAGEWIRE_LOG_LEVEL": "debug",
            "PAGEWIRE_DATABASE_URL": f"postgresql://pagewire:{password}@db/pagewire",
        }
    )
    out = io.StringIO()
    configure_logging(settings, stream=out)
    dsn = settings.storage.database_url.reveal()
    logging.getLogger("aiokafka.consumer").debug("joined group; dsn was %s", dsn)
    logging.getLogger("faust.worker").info("password alone: %s", password)
    logging.getLogger("aiohttp.access").info("GET /metrics")
    lines = [orjson.loads(line) for line in out.getvalue().splitlines()]
    assert [(line["logger"], line["level"], line["event"]) for line in lines] == [
        ("aiokafka.consumer", "debug", "joined group; dsn was ****"),
        ("faust.worker", "info", "password alone: ****"),
    ]
    assert redact(password) == "****"


def test_unknown_level_or_format_is_a_clear_config_error() -> None:
    with pytest.raises(ConfigError, match="PAGEWIRE_LOG_LEVEL"):
        configure_logging(Settings.load({"PAGEWIRE_LOG_LEVEL": "loud"}))
    with pytest.raises(ConfigError, match="PAGEWIRE_LOG_FORMAT"):
        configure_logging(Settings.load({"PAGEWIRE_LOG_FORMAT": "xml"}))
