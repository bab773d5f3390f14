"""The poison corpus: bad snapshots and messages, each with the dead letter (stage, reason) it must give."""

import base64
import gzip
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from services.common import codec
from services.domain.page.snapshot import Snapshot
from tests.conftest import REPO, SEED
from tests.support.replay import URL

SITE = "site0.example"  # the one site of build_replay(seed, sites=1)
SEED_TEXT = SEED.read_text()
SEED_HTML = (REPO / "tests" / "fixtures" / "pages" / "seed.html").read_text()
CYRILLIC = "• KGS/USD = 0.01144 0%\n\nКыргызстан Подписал Соглашение\n\nСоглашение подписано в Бишкеке.\n"
# the worker's cap is the producer's, PAGEWIRE_PRODUCER_MAX_BODY_BYTES (2 MiB by default)
OVER_THE_CAP = (SEED_TEXT * (2 * 1024 * 1024 // len(SEED_TEXT.encode()) + 1)).encode()


@dataclass(frozen=True)
class Poison:
    """One bad snapshots.raw record: `value` None is a tombstone."""

    name: str
    key: bytes
    value: bytes | None
    stage: str
    reason: str


def page(at: datetime, body: bytes, content_type: str = "text/plain", charset: str | None = None) -> bytes:
    return codec.encode(Snapshot(body, URL, SITE, at, content_type, charset).to_envelope())


def envelope(at: datetime, **changes: Any) -> bytes:
    """The seed's envelope with fields changed; a value of `...` removes the field."""
    message = Snapshot(SEED_TEXT.encode(), URL, SITE, at, "text/plain", None).to_envelope() | changes
    return orjson.dumps({name: value for name, value in message.items() if value is not ...})


def seed_with(row: str) -> bytes:
    return SEED_TEXT.replace("KGS/USD = 0.01144 0%", row).encode()


def corpus(at: Callable[[int], datetime]) -> list[Poison]:
    """Every kind of bad input the worker must dead-letter; `at(n)` gives the n-th one its fetch time."""
    key = SITE.encode()
    parse, decode = "parse", "decode"
    pages: list[tuple[str, bytes, str, str | None, str]] = [
        ("an empty page", b"", "text/plain", None, "empty_body"),
        (
            "truncated HTML, cut in its head",
            SEED_HTML[:300].encode(),
            "text/html",
            "utf-8",
            "nothing_recognised",
        ),
        (
            "garbled HTML",
            b"<html><body><<<>>>&&&#x;;</div></span><li></ul>" * 40,
            "text/html",
            None,
            "nothing_recognised",
        ),
        (
            "binary: a PNG image",
            b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8,
            "text/html",
            None,
            "binary_body",
        ),
        ("binary: random bytes", bytes(range(256)) * 16, "text/plain", None, "binary_body"),
        (
            "binary: a gzip body nobody undid",
            gzip.compress(SEED_TEXT.encode()),
            "text/html",
            None,
            "binary_body",
        ),
        ("a page over the size cap", OVER_THE_CAP, "text/plain", None, "body_too_large"),
        ("deeply nested HTML", b"<html><body>" + b"<div>" * 600 + b"KGS", "text/html", None, "html_too_deep"),
        (
            "HTML with 120,000 tags",
            b"<html><body>" + b"<b>x</b>" * 120_000,
            "text/html",
            None,
            "html_too_large",
        ),
        ("UTF-8 page labelled UTF-16", SEED_TEXT.encode(), "text/plain", "utf-16", "charset_mismatch"),
        (
            "UTF-8 page labelled windows-1251",
            CYRILLIC.encode(),
            "text/plain",
            "windows-1251",
            "charset_mismatch",
        ),
        (
            "UTF-8 page whose meta tag says koi8-r",
            f'<html><head><meta charset="koi8-r"></head><body><p>{CYRILLIC}</p></body></html>'.encode(),
            "text/html",
            None,
            "charset_mismatch",
        ),
        (
            "windows-1251 page labelled UTF-8",
            CYRILLIC.encode("cp1251"),
            "text/plain",
            "utf-8",
            "undecodable_body",
        ),
        ("an unknown charset", SEED_TEXT.encode(), "text/plain", "x-klingon", "unknown_charset"),
        ("rate 0", seed_with("KGS/USD = 0.00000 0%"), "text/plain", None, "invalid_observation"),
        ("negative rate", seed_with("KGS/USD = -0.01144 0%"), "text/plain", None, "invalid_observation"),
        ("rate 1e308", seed_with("KGS/USD = 1e308 0%"), "text/plain", None, "invalid_observation"),
        ("rate NaN", seed_with("KGS/USD = NaN 0%"), "text/plain", None, "invalid_observation"),
        (
            "a pair that is no currency",
            seed_with("KGQ/USD = 0.01144 0%"),
            "text/plain",
            None,
            "invalid_observation",
        ),
    ]
    found = [
        Poison(name, key, page(at(n), body, kind, charset), parse, reason)
        for n, (name, body, kind, charset, reason) in enumerate(pages)
    ]
    n = len(found)
    found += [
        Poison("not JSON", key, b"<html>not an envelope", decode, "invalid_json"),
        Poison("a JSON array", key, b"[1, 2, 3]", decode, "invalid_json"),
        Poison("a tombstone", key, None, decode, "empty_message"),
        Poison(
            "another message type", key, orjson.dumps({"schema": "pagewire.alert/1"}), decode, "wrong_schema"
        ),
        Poison("envelope missing its body", key, envelope(at(n), body=...), decode, "schema_mismatch"),
        Poison("envelope with an extra field", key, envelope(at(n + 1), extra=1), decode, "schema_mismatch"),
        Poison("envelope with size as text", key, envelope(at(n + 2), size="5"), decode, "schema_mismatch"),
        Poison(
            "envelope with 30 February",
            key,
            envelope(at(n + 3), fetched_at="2025-02-30T06:00:00Z"),
            decode,
            "invalid_time",
        ),
        Poison(
            "envelope whose id lies",
            key,
            envelope(at(n + 4), snapshot_id="0" * 64),
            decode,
            "snapshot_id_mismatch",
        ),
        Poison("envelope whose size lies", key, envelope(at(n + 5), size=7), decode, "size_mismatch"),
        Poison(
            "envelope body not base64",
            key,
            envelope(at(n + 6), body="YW Jj", size=3),  # the schema lets spaces by
            decode,
            "invalid_body_encoding",
        ),
        Poison("envelope of another site", b"other.example", envelope(at(n + 7)), decode, "key_mismatch"),
    ]
    return found


def original(poison: Poison) -> str:
    return base64.b64encode(poison.value or b"").decode()
