"""Charsets and content types: which bytes become which text, and when a body is HTML."""

import codecs

import pytest

from services.domain.errors import ParseError
from services.domain.page.decode import decode_body
from services.domain.page.parse import parse_page

CYRILLIC_PAGE = (
    "• KGS/USD = 0.01144 0%\n\nКыргызстан Подписал Соглашение\n\nСоглашение подписано в Бишкеке.\n"
)


def test_charset_argument_decides() -> None:
    page = parse_page(CYRILLIC_PAGE.encode("cp1251"), "text/plain", "windows-1251")

    assert [(a.title, a.body) for a in page.articles] == [
        ("Кыргызстан Подписал Соглашение", "Соглашение подписано в Бишкеке.")
    ]


def test_content_type_charset_parameter_is_used_when_no_charset_is_given() -> None:
    decoded = decode_body(CYRILLIC_PAGE.encode("cp1251"), 'text/plain; charset="Windows-1251"', None)

    assert decoded.text == CYRILLIC_PAGE
    assert decoded.charset == "cp1251"
    assert decoded.is_html is False


@pytest.mark.parametrize(
    "meta",
    [
        '<meta charset="windows-1251">',
        '<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">',
    ],
)
def test_html_meta_charset_is_used_when_nothing_else_says(meta: str) -> None:
    html = (
        f"<html><head>{meta}</head><body><h2>Бишкек Принимает Форум</h2><p>Форум открылся.</p></body></html>"
    )

    page = parse_page(html.encode("cp1251"), None, None)

    assert [(a.title, a.body) for a in page.articles] == [("Бишкек Принимает Форум", "Форум открылся.")]


def test_byte_order_mark_wins_and_is_dropped() -> None:
    utf16 = codecs.BOM_UTF16_LE + CYRILLIC_PAGE.encode("utf-16-le")
    utf8 = codecs.BOM_UTF8 + CYRILLIC_PAGE.encode("utf-8")

    assert decode_body(utf16, "text/plain", "latin-1").text == CYRILLIC_PAGE
    assert decode_body(utf8, None, None).text == CYRILLIC_PAGE


def test_without_content_type_a_leading_tag_means_html() -> None:
    assert decode_body(b"  <!doctype html><p>x</p>", None, None).is_html is True
    assert (
        decode_body(b"\xe2\x80\xa2 KGS/USD = 0.01144 0%", "application/octet-stream", None).is_html is False
    )
    assert decode_body(b"<p>x</p>", "text/plain", None).is_html is False


@pytest.mark.parametrize("label", ["klingon-8", "base64", "zlib", "rot13"])
def test_unknown_charset_or_a_codec_that_is_no_text_encoding_is_a_clear_error(label: str) -> None:
    with pytest.raises(ParseError) as error:
        decode_body(b"eJzLSM3JyVcozy/KSQEAGgQEXQ==", f"text/plain; charset={label}", None)

    assert str(error.value) == f"unknown charset {label!r}"
    assert error.value.reason == "unknown_charset"


def test_unknown_meta_charset_is_ignored_as_browsers_do() -> None:
    html = '<html><head><meta charset="klingon-8"></head><body><p>Bishkek</p></body></html>'

    assert decode_body(html.encode(), None, None).charset == "utf-8"


@pytest.mark.parametrize(
    ("body", "content_type", "charset", "says"),
    [
        # UTF-16 without a single NUL byte: an ASCII or UTF-8 page with a wrong label
        (CYRILLIC_PAGE.encode(), "text/plain", "utf-16", "charset utf-16 declared, but the body has no NUL"),
        (b"<html><body>KGS/USD</body></html>", "text/html; charset=utf-32", None, "charset utf-32 declared"),
        # UTF-8 labelled as a legacy charset would decode "fine", into mojibake ("РљС‹СЂРіС‹Р·...")
        (
            CYRILLIC_PAGE.encode(),
            "text/plain",
            "windows-1251",
            "charset cp1251 declared, but the body is UTF-8",
        ),
        (CYRILLIC_PAGE.encode(), "text/plain; charset=iso-8859-1", None, "charset iso8859-1 declared"),
        (
            f'<html><head><meta charset="koi8-r"></head><body><p>{CYRILLIC_PAGE}</p>'.encode(),
            "text/html",
            None,
            "charset koi8-r declared, but the body is UTF-8",
        ),
    ],
)
def test_a_declared_charset_the_bytes_contradict_is_refused_not_decoded_into_mojibake(
    body: bytes, content_type: str, charset: str | None, says: str
) -> None:
    with pytest.raises(ParseError, match=says) as refused:
        decode_body(body, content_type, charset)
    assert refused.value.reason == "charset_mismatch"


def test_declarations_the_bytes_bear_out_still_decode() -> None:
    assert decode_body(CYRILLIC_PAGE.encode("utf-16-le"), "text/plain", "utf-16-le").text == CYRILLIC_PAGE
    assert decode_body(CYRILLIC_PAGE.encode("cp1251"), "text/plain", "cp1251").text == CYRILLIC_PAGE
    ascii_page = b"KGS/USD = 0.01144 0%\n"
    assert decode_body(ascii_page, "text/plain", "windows-1251").text == ascii_page.decode()
    assert decode_body(codecs.BOM_UTF8 + CYRILLIC_PAGE.encode(), "text/plain", "cp1251").text == CYRILLIC_PAGE
