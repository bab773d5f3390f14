"""Structured logs: one JSON (or text) line per event, with its context, secrets masked before output."""

import logging
import logging.config
import re
import sys
import types
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import fields, is_dataclass
from datetime import UTC, datetime
from typing import IO, Any
from urllib.parse import urlsplit

import orjson

from services.common.settings import Secret, Settings
from services.domain.errors import ConfigError

MASK = "****"
_EMPTY: Mapping[str, object] = types.MappingProxyType({})
_CONTEXT: ContextVar[Mapping[str, object]] = ContextVar("pagewire_log_context", default=_EMPTY)
# Attributes every LogRecord has; anything else on a record came from `extra=` and is logged as a field.
_RECORD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message"}
_SENSITIVE_KEY = re.compile(r"pass(word|wd)?|secret|token|api_?key|authorization|webhook|database_url", re.I)
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s'\"<>]+", re.I)
_USERINFO = re.compile(r"^([a-z][a-z0-9+.-]*://[^\s:/@]*:)[^\s@/]+@", re.I)
# Chat webhooks carry their credential in the path: Slack/Mattermost /services|/hooks, Discord
# /api/webhooks, Teams webhook.office.com and Workflows /workflows, Telegram /bot<token>.
_WEBHOOK = re.compile(r"hook|/workflows/|/bot\d+:", re.I)
_QUERY_SECRET = re.compile(
    r"([?&](?:token|access_token|api[_-]?key|key|secret|password|passwd|sig|signature|auth|code)=)[^&\s'\"#]+",
    re.I,
)
_ASSIGNED_SECRET = re.compile(
    r"((?:password|passwd|secret|token|api[_-]?key|authorization)[\"']?\s*[:=]\s*[\"']?"
    r"(?:bearer\s+|basic\s+|token\s+)?)[^\s\"',;&]+",
    re.I,
)
_BEARER = re.compile(r"\b(bearer\s+)[A-Za-z0-9._~+/=-]{6,}", re.I)


class Redactor:
    """Masks known secret values and anything shaped like a credential (URL passwords, webhooks, tokens)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: list[str] = []
        for value in secrets:
            self.add(value)

    def add(self, value: str) -> None:
        # very short values would mask ordinary words; such a secret is weak anyway
        if len(value) >= 4 and value not in self._secrets:
            self._secrets.append(value)
            self._secrets.sort(key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        text = _URL.sub(_mask_url, text)
        text = _ASSIGNED_SECRET.sub(rf"\g<1>{MASK}", text)
        return _BEARER.sub(rf"\g<1>{MASK}", text)

    def value(self, value: object, key: str = "") -> object:
        """A field value safe to log: sensitive keys masked whole, strings scrubbed, containers walked."""
        if isinstance(value, Secret):
            return value.masked
        if key and _SENSITIVE_KEY.search(key) and value not in (None, ""):
            return MASK
        if isinstance(value, str):
            return self(value)
        if isinstance(value, Mapping):
            return {str(name): self.value(item, str(name)) for name, item in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self.value(item) for item in value]
        if value is None or isinstance(value, bool | int | float):
            return value
        return self(str(value))


def _mask_url(match: re.Match[str]) -> str:
    url = match.group(0)
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and _WEBHOOK.search(url):
        return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/{MASK}"
    url = _USERINFO.sub(rf"\g<1>{MASK}@", url)
    return _QUERY_SECRET.sub(rf"\g<1>{MASK}", url)


_REDACTOR = Redactor()


def register_secret(value: str) -> None:
    """Never log this value (e.g. a webhook URL read from a secret file); configure_logging adds settings'."""
    _REDACTOR.add(value)
    password = urlsplit(value).password if "://" in value else None
    if password:
        _REDACTOR.add(password)


def redact(text: str) -> str:
    return _REDACTOR(text)


@contextmanager
def log_context(**values: object) -> Iterator[None]:
    """Attach fields (snapshot_id, alert_id, topic, partition, offset...) to every log line in the block."""
    token = _CONTEXT.set({**_CONTEXT.get(), **values})
    try:
        yield
    finally:
        _CONTEXT.reset(token)


def _fields(record: logging.LogRecord) -> dict[str, object]:
    found: dict[str, object] = dict(_CONTEXT.get())
    found.update((key, value) for key, value in record.__dict__.items() if key not in _RECORD_ATTRIBUTES)
    found.pop("taskName", None)  # Python 3.12 adds it to every record; asyncio task names are noise here
    return found


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, event, context fields, and exc when there is one."""

    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__()
        self._redact = redactor or _REDACTOR

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": _timestamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": self._redact(record.getMessage()),
        }
        for key, value in _fields(record).items():
            entry.setdefault(key, self._redact.value(value, key))
        if record.exc_info:
            entry["exc"] = self._redact(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = self._redact(self.formatStack(record.stack_info))
        return orjson.dumps(entry, default=str).decode()


class TextFormatter(logging.Formatter):
    """A human-readable line with the same fields as key=value pairs, scrubbed as a whole."""

    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__()
        self._redact = redactor or _REDACTOR

    def format(self, record: logging.LogRecord) -> str:
        pairs = _fields(record).items()
        context = " ".join(f"{key}={self._redact.value(value, key)}" for key, value in pairs)
        line = f"{_timestamp(record)} {record.levelname:<7} {record.name}: {record.getMessage()}"
        line = f"{line} {context}" if context else line
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        return self._redact(line)


def _timestamp(record: logging.LogRecord) -> str:
    instant = datetime.fromtimestamp(record.created, UTC)
    return instant.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def make_handler(log_format: str = "json", stream: IO[str] | None = None) -> logging.Handler:
    """The one handler pagewire logs through (also named by logging_config for Faust's worker)."""
    _check_format(log_format)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    return handler


def logging_config(settings: Settings, stream: IO[str] | None = None) -> dict[str, Any]:
    """A dictConfig routing every logger (pagewire, Faust, mode, aiokafka) through make_handler.

    Faust's worker replaces the root handlers at start-up; pass this as `faust.Worker(logging_config=...)`.
    Registers the settings' secrets too, so either way in leaves none of them printable.
    """
    for secret in _secrets_in(settings):
        register_secret(secret)
    level = _level(settings.observability.log_level)
    _check_format(settings.observability.log_format)
    handler: dict[str, Any] = {"()": make_handler, "log_format": settings.observability.log_format}
    if stream is not None:
        handler["stream"] = stream
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {"pagewire": handler},
        "root": {"level": level, "handlers": ["pagewire"]},
        # one line per HTTP request to /metrics would drown the events that matter
        "loggers": {"aiohttp.access": {"level": "WARNING"}},
    }


def configure_logging(settings: Settings, stream: IO[str] | None = None) -> None:
    """Call once at process start: level and format from settings, every Secret in settings redacted."""
    logging.config.dictConfig(logging_config(settings, stream))


def _check_format(log_format: str) -> None:
    if log_format not in ("json", "text"):
        raise ConfigError(f"PAGEWIRE_LOG_FORMAT: expected json or text, got {log_format!r}")


def _level(name: str) -> str:
    level = name.strip().upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ConfigError(f"PAGEWIRE_LOG_LEVEL: expected DEBUG, INFO, WARNING or ERROR, got {name!r}")
    return level


def _secrets_in(settings: object) -> Iterator[str]:
    if not is_dataclass(settings):
        return
    for item in fields(settings):
        value = getattr(settings, item.name)
        values = value if isinstance(value, tuple) else (value,)
        for part in values:
            if isinstance(part, Secret) and part:
                yield part.reveal()
            elif is_dataclass(part):
                yield from _secrets_in(part)
