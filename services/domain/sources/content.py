"""What a source's bytes are: fetch time from a file name, content type by header, extension or sniffing,
and whether a body of the cap still fits one Kafka request."""

import math
import re
from datetime import UTC, datetime

# base64 grows a body by 4/3; the rest of the envelope and the record framing fit in this margin
ENVELOPE_OVERHEAD_BYTES = 16_384
_NAME_INSTANT = re.compile(r"^(\d{8}T\d{6}Z)")
_EXTENSION_TYPES = {".html": "text/html", ".htm": "text/html", ".txt": "text/plain"}
_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<meta", b"<div", b"<p>")


def fetched_at_from_name(name: str) -> datetime | None:
    """'20250219T060000Z-seed.txt' -> 2025-02-19 06:00 UTC; None without a valid leading UTC timestamp."""
    match = _NAME_INSTANT.match(name)
    if not match:
        return None
    try:
        return datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def parse_content_type(header: str | None) -> tuple[str | None, str | None]:
    """'text/HTML; charset="UTF-8"' -> ('text/html', 'utf-8'); (None, None) for a missing header."""
    if not header:
        return None, None
    media, *params = header.split(";")
    charset = None
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"'):
            charset = value.strip().strip('"').lower()
    return (media.strip().lower() or None), charset


def content_type_for(name: str | None, body: bytes) -> str:
    """By extension (.html/.htm, .txt), else sniffed: HTML markers near the start, text, or octet-stream."""
    if name:
        suffix = name[name.rfind(".") :].lower() if "." in name else ""
        if suffix in _EXTENSION_TYPES:
            return _EXTENSION_TYPES[suffix]
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if any(marker in head for marker in _HTML_MARKERS):
        return "text/html"
    if b"\x00" in body[:8192]:
        return "application/octet-stream"
    return "text/plain"


def envelope_fits(max_body_bytes: int, max_request_bytes: int) -> bool:
    """Whether a body at the cap still fits one Kafka request once base64-encoded into its envelope."""
    return math.ceil(max_body_bytes / 3) * 4 + ENVELOPE_OVERHEAD_BYTES <= max_request_bytes
