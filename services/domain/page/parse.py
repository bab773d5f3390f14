"""Parse one snapshot, HTML or plain text, into a ParsedPage: the parser's entry points."""

from services.domain.page.decode import MAX_BODY_BYTES, decode_body
from services.domain.page.html import html_lines
from services.domain.page.model import ParsedPage
from services.domain.page.text import parse_lines, parse_text

__all__ = ["MAX_BODY_BYTES", "parse_page", "parse_text"]

_NO_TEXT = "no text found on the page"


def parse_page(
    body: bytes, content_type: str | None, charset: str | None, *, max_bytes: int = MAX_BODY_BYTES
) -> ParsedPage:
    """Parse a snapshot's raw body as fetched (HTML) or saved (text rendering); both give the same result.

    Raises services.domain.errors.ParseError, with a short `reason` for dead letters and metrics, for a
    body that cannot be a page: "empty_body", "body_too_large", "binary_body", "unknown_charset",
    "undecodable_body", "charset_mismatch", "html_too_large", "html_too_deep". A readable page with
    nothing recognisable on it (say, HTML whose only text is in scripts) is not an error: it parses to
    an empty page with a warning.
    """
    decoded = decode_body(body, content_type, charset, max_bytes=max_bytes)
    if not decoded.is_html:
        return parse_text(decoded.text)
    lines = html_lines(decoded.text)
    if not lines:
        return ParsedPage(
            ticker=(), ticker_repeats=0, listing_date=None, pagination=None, articles=(), warnings=(_NO_TEXT,)
        )
    return parse_lines(lines)
