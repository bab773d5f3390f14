"""Snapshot bytes to text: size and binary checks, charset choice, HTML-or-text decision."""

import codecs
import contextlib
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser

from services.domain.errors import ParseError

#: Bodies above this are refused before any work; the producer's own cap (2 MiB by default) is far below.
MAX_BODY_BYTES = 8 * 1024 * 1024

# Compressed or media payloads that sometimes arrive where a page was expected; naming them helps the
# operator more than "binary". A gzip body usually means a Content-Encoding that nobody undid.
_MAGIC = (
    (b"\x1f\x8b", "gzip-compressed data (Content-Encoding not undone?)"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: its BOM starts with UTF-16 LE's
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_BOM_PREFIXES = tuple(bom for bom, _ in _BOMS)
_SNIFF_BYTES = 4096
# Browsers look for a <meta> charset in the first 1024 bytes only (HTML's "prescan"); so does pagewire.
_PRESCAN_BYTES = 1024
# Text and HTML carry tabs, newlines and form feeds; other C0 control bytes in bulk mean binary data.
# The table lists every other byte, so `translate` deleting them leaves only the suspicious ones (in C).
_NOT_CONTROL = bytes(byte for byte in range(256) if byte >= 0x20 or byte in b"\t\n\r\x0c")
_MAX_CONTROL_SHARE = 0.05


@dataclass(frozen=True, slots=True)
class DecodedBody:
    """A body turned into text, with what was decided on the way."""

    text: str
    is_html: bool
    charset: str  # the Python codec name actually used, e.g. "utf-8", "cp1251"


def decode_body(
    body: bytes, content_type: str | None, charset: str | None, *, max_bytes: int = MAX_BODY_BYTES
) -> DecodedBody:
    """Decode a snapshot body, or raise ParseError with a short `reason` saying why it cannot be read.

    The charset comes from the argument, else from the content type's `charset=` parameter, else (for
    HTML) from a `<meta>` tag in the first 1024 bytes, else UTF-8; a byte order mark wins over all of
    them, as in browsers. Without a usable content type, a body whose first character is `<` is HTML.
    Decoding is strict: a page with bytes that are not valid in its charset is refused, not guessed at.
    """
    if not body:
        raise ParseError("empty body: nothing to parse", reason="empty_body")
    if len(body) > max_bytes:
        raise ParseError(
            f"body too large: {len(body)} bytes, the limit is {max_bytes}", reason="body_too_large"
        )
    for magic, kind in _MAGIC:
        if body.startswith(magic):
            raise ParseError(f"binary body: looks like {kind}, not a page", reason="binary_body")

    media_type, declared = _split_content_type(content_type)
    is_html = _is_html_type(media_type)
    encoding = _bom_encoding(body)
    bytes_checked = False  # a NUL byte refused already: in UTF-8 the only way to a NUL character
    if encoding is None:
        encoding = charset or declared
        wide = encoding is not None and _is_wide(encoding)
        _refuse_binary(body, wide=wide)
        bytes_checked = not wide
        if is_html is None:
            is_html = body[:_SNIFF_BYTES].lstrip()[:1] == b"<"
        if encoding is None and is_html:
            encoding = _meta_charset(body[:_PRESCAN_BYTES])
    codec = _codec_name(encoding or "utf-8")
    if not body.startswith(_BOM_PREFIXES):
        _refuse_contradicted(body, codec)
    try:
        text = body.decode(codec)
    except UnicodeDecodeError as exc:
        raise ParseError(
            f"body is not valid {codec}: byte {body[exc.start : exc.start + 1]!r} at offset {exc.start}"
            f" ({exc.reason})",
            reason="undecodable_body",
        ) from exc
    if text.startswith("\ufeff"):
        text = text[1:]
    if not (bytes_checked and codec == "utf-8") and "\x00" in text:
        raise ParseError("binary body: NUL characters after decoding", reason="binary_body")
    if not text or text.isspace():
        raise ParseError("empty body: only whitespace", reason="empty_body")
    if is_html is None:
        is_html = text[:_SNIFF_BYTES].lstrip()[:1] == "<"
    return DecodedBody(text=text, is_html=is_html, charset=codec)


def _split_content_type(content_type: str | None) -> tuple[str, str | None]:
    """`text/html; charset="UTF-8"` -> ("text/html", "UTF-8")."""
    if not content_type:
        return "", None
    media_type, *params = content_type.split(";")
    declared = None
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip(" \"'"):
            declared = value.strip(" \"'")
    return media_type.strip().lower(), declared


def _is_html_type(media_type: str) -> bool | None:
    """True for HTML types, False for plain text, None when the type says nothing useful (sniff)."""
    if "html" in media_type:
        return True
    if media_type == "text/plain":
        return False
    return None


def _bom_encoding(body: bytes) -> str | None:
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    return None


def _is_wide(encoding: str) -> bool:
    """UTF-16/32 text is full of NUL bytes, so the binary check must not look at its raw bytes."""
    try:
        return codecs.lookup(encoding).name.startswith(("utf-16", "utf-32"))
    except LookupError:
        return False


def _refuse_contradicted(body: bytes, codec: str) -> None:
    """Refuse a declared charset the bytes contradict, which would decode "fine" into mojibake.

    UTF-16/32 text of a page always holds NUL bytes (its ASCII markup, digits and newlines), and text in
    a legacy charset is practically never valid UTF-8 once it has non-ASCII bytes; so a wide charset
    without a NUL, or a legacy one over non-ASCII UTF-8, is a wrong or lying declaration.
    """
    if codec == "utf-8":
        return
    if _is_wide(codec):
        if b"\x00" not in body:
            raise ParseError(
                f"charset {codec} declared, but the body has no NUL byte: it is not {codec}",
                reason="charset_mismatch",
            )
        return
    if body.isascii():
        return
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return
    raise ParseError(
        f"charset {codec} declared, but the body is UTF-8: decoding it as {codec} would garble it",
        reason="charset_mismatch",
    )


def _refuse_binary(body: bytes, *, wide: bool) -> None:
    if wide:
        return
    nul = body.find(b"\x00")
    if nul != -1:
        raise ParseError(f"binary body: NUL byte at offset {nul}, not a page", reason="binary_body")
    head = body[:_SNIFF_BYTES]
    controls = len(head.translate(None, _NOT_CONTROL))
    if controls > _MAX_CONTROL_SHARE * len(head):
        raise ParseError(
            f"binary body: {controls} control bytes in the first {len(head)}, not a page",
            reason="binary_body",
        )


def _meta_charset(head: bytes) -> str | None:
    """The charset a `<meta charset>` or `<meta http-equiv="Content-Type">` tag declares, if usable.

    Latin-1 maps every byte to one character, so the ASCII markup of the head reads right whatever the
    page's real charset is; the HTML parser (not a regex) finds the tag. As in browsers, a label that
    names no known text encoding is ignored rather than refused.
    """
    if b"charset" not in head.lower():
        return None
    tree = LexborHTMLParser(head.decode("latin-1"))
    for meta in tree.css("meta"):
        attributes = meta.attributes
        declared = str(attributes.get("charset") or "").strip()
        if not declared and str(attributes.get("http-equiv") or "").lower() == "content-type":
            declared = _split_content_type(str(attributes.get("content") or ""))[1] or ""
        if declared:
            try:
                return _codec_name(declared)
            except ParseError:
                return None
    return None


def _codec_name(label: str) -> str:
    """The Python codec for a charset label; only text encodings, so "base64" or "zlib" cannot sneak in."""
    try:
        name = codecs.lookup(label.strip()).name
        # bytes.decode refuses codecs that are not text encodings with a LookupError; a text encoding in
        # which a lone "a" is incomplete (UTF-16, UTF-32) fails to decode it, which is fine here.
        with contextlib.suppress(UnicodeDecodeError):
            b"a".decode(name)
    except LookupError as exc:
        raise ParseError(f"unknown charset {label!r}", reason="unknown_charset") from exc
    return name
