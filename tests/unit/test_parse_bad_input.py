"""Bodies that are not pages: a clear ParseError (or an empty page), quickly, never a crash or a hang."""

import time

import pytest

from services.domain.errors import ParseError
from services.domain.page.html import estimated_depth
from services.domain.page.parse import parse_page


def parse_error(body: bytes, content_type: str | None = None) -> ParseError:
    with pytest.raises(ParseError) as error:
        parse_page(body, content_type, None)
    return error.value


def test_empty_body() -> None:
    error = parse_error(b"")

    assert (str(error), error.reason) == ("empty body: nothing to parse", "empty_body")


def test_whitespace_only_body() -> None:
    error = parse_error(b" \n\t\r\n ")

    assert (str(error), error.reason) == ("empty body: only whitespace", "empty_body")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary body: looks like a PNG image, not a page"),
        (
            b"\x1f\x8b\x08\x00\x00\x00\x00\x00",
            "binary body: looks like gzip-compressed data (Content-Encoding not undone?), not a page",
        ),
        (b"<html>\x00\x01\x02</html>", "binary body: NUL byte at offset 6, not a page"),
        (bytes(range(1, 32)) * 4, "binary body: 108 control bytes in the first 124, not a page"),
    ],
)
def test_binary_bodies(body: bytes, message: str) -> None:
    error = parse_error(body)

    assert (str(error), error.reason) == (message, "binary_body")


def test_invalid_utf8() -> None:
    error = parse_error("• KGS/USD = 0.01144 0%\nKyrgyz".encode() + b"\xff\xfe tail", "text/plain")

    assert str(error) == "body is not valid utf-8: byte b'\\xff' at offset 31 (invalid start byte)"
    assert error.reason == "undecodable_body"


def test_fifty_megabyte_body_is_refused_at_once() -> None:
    body = b"\xe2\x80\xa2 KGS/USD = 0.01144 0%\n" * (50 * 1024 * 1024 // 26)
    started = time.perf_counter()

    error = parse_error(body)

    assert time.perf_counter() - started < 0.5
    assert str(error) == f"body too large: {len(body)} bytes, the limit is 8388608"
    assert error.reason == "body_too_large"


def test_html_without_text_is_an_empty_page_with_a_warning() -> None:
    html = b"<html><head><title>x</title><script>var a = 1;</script></head><body><div><img src=a.png></div>"

    assert parse_page(html, "text/html", None).to_json() == {
        "ticker": [],
        "ticker_repeats": 0,
        "listing_date": None,
        "pagination": None,
        "heading": None,
        "articles": [],
        "lines": 0,
        "dropped_lines": 0,
        "warnings": ["no text found on the page"],
    }


@pytest.mark.parametrize("depth", [600, 40_000])
def test_deeply_nested_html_is_refused_quickly(depth: int) -> None:
    html = ("<div>" * depth + "<h2>Deep Story Title</h2><p>Deep body.</p>" + "</div>" * depth).encode()
    started = time.perf_counter()

    error = parse_error(html, "text/html")

    assert time.perf_counter() - started < 2
    assert (str(error), error.reason) == ("HTML nested deeper than 512 elements", "html_too_deep")


def test_html_with_more_tags_than_any_listing_page_is_refused_quickly() -> None:
    html = ("<span>" * 500 + "<div></div>" * 60_000).encode()
    started = time.perf_counter()

    error = parse_error(html, "text/html")

    assert time.perf_counter() - started < 1
    assert (str(error), error.reason) == (
        "HTML with 120500 tags (more than 100000): not a listing page",
        "html_too_large",
    )


def test_many_shallow_tags_within_the_limit_parse() -> None:
    html = "<span>" * 500 + "<div></div>" * 45_000 + "<h2>Story Title Here</h2><p>Body.</p>"
    started = time.perf_counter()

    page = parse_page(html.encode(), "text/html", None)

    assert time.perf_counter() - started < 5
    assert [(a.title, a.body) for a in page.articles] == [("Story Title Here", "Body.")]


def test_nesting_real_pages_use_parses() -> None:
    html = "<section>" * 300 + "<h2>Nested Story Title</h2><p>Nested body.</p>" + "</section>" * 300

    page = parse_page(html.encode(), "text/html", None)

    assert [(a.title, a.body) for a in page.articles] == [("Nested Story Title", "Nested body.")]


def test_unclosed_paragraphs_and_list_items_add_no_depth() -> None:
    html = "<ul>" + "<li>item" * 10_000 + "</ul>" + "<p>para" * 10_000

    assert estimated_depth(html) == 1
    # The script is one level inside the div; the "<b" in its code and the tag in the comment are not tags.
    assert estimated_depth("<div><script>if (a<b) {}</script><!-- <div> --></div>") == 2


def pair_code(number: int) -> str:
    """AAA, AAB, ... : 17,576 distinct currency codes, so 100,000 rows bring many conflicting values."""
    return "".join(chr(65 + number // 26**place % 26) for place in (2, 1, 0))


@pytest.mark.parametrize(
    "text",
    [
        "Story Title Here\n\n" + "[caption " * 200_000,
        "Story Title Here\n" * 100_000,
        "• Written by Staff\n" * 100_000,
        "".join(f"• {pair_code(n)}/USD = 0.{n:05d} 0%\n" for n in range(100_000)),
        "• KGS/USD = 0.01144 0% " * 100_000,
    ],
    ids=["unclosed-shortcodes", "title-lines", "bylines", "distinct-rows", "one-line-marquee"],
)
def test_megabytes_of_pathological_text_parse_in_well_under_seconds(text: str) -> None:
    started = time.perf_counter()

    page = parse_page(text.encode(), "text/plain", None)

    assert time.perf_counter() - started < 5  # about 1 s on a loaded 2-core machine; linear, never quadratic
    assert len(page.warnings) <= 22
