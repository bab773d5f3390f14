"""Property tests: any bytes or text parse quickly into a page or a ParseError, and nothing else escapes."""

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.domain.errors import ParseError
from services.domain.page.model import ParsedPage
from services.domain.page.parse import parse_page, parse_text

# A deadline per example makes "finishes quickly" part of the property.
QUICKLY = settings(max_examples=300, deadline=timedelta(milliseconds=500))

content_types = st.sampled_from(
    [None, "text/html", "text/plain", "application/octet-stream", "text/html; charset=x"]
)
charsets = st.sampled_from(
    [None, "utf-8", "latin-1", "utf-16", "windows-1251", "no-such-charset", "base64", "zlib"]
)

# Pieces of real pages, so the generated text reaches the title, body and ticker rules, not only the checks.
page_lines = st.sampled_from(
    [
        "• KGS/USD = 0.01144 0%",
        "  • TJS/USD = 0.09156 -0.11%",
        "  • KGS/USD = 0.01150 0.5%",
        "• RUB/USD = n/a",
        "19 February 2025",
        "31 February 2025",
        "Viewing results 1 - 6 of 131",
        "Viewing results 9 - 2 of 1",
        "Kyrgyzstan Backs Turkish Arms Embargo Against Israel",
        "Kazakhstan’s “Green Bridge”: $2.4 Billion – Tariffs; Answers?",
        "The unit now generates 600 megawatts.",
        "DUSHANBE (TCA) — Officials met.",
        "OSH, Kyrgyzstan (TCA) —",
        "ASTANA - ",
        '[caption id="1"]Photo[/caption] [video mp4="x"][/video]',
        "[caption unclosed",
        "Continue reading",
        "Body that ends   Continue reading",
        "• Written by Staff",
        "By Bruce Pannier",
        "met in Bishkek to...",
        "\u00a0\u00a0",
        "",
    ]
)


@QUICKLY
@given(body=st.binary(max_size=4096), content_type=content_types, charset=charsets)
def test_any_bytes_give_a_page_or_a_parse_error(
    body: bytes, content_type: str | None, charset: str | None
) -> None:
    try:
        assert isinstance(parse_page(body, content_type, charset), ParsedPage)
    except ParseError as error:
        assert error.reason in {
            "empty_body",
            "binary_body",
            "undecodable_body",
            "unknown_charset",
            "charset_mismatch",
            "html_too_deep",
            "html_too_large",
        }


@QUICKLY
@given(text=st.text(max_size=4096))
def test_any_text_gives_a_page(text: str) -> None:
    assert isinstance(parse_text(text), ParsedPage)


@QUICKLY
@given(lines=st.lists(st.one_of(page_lines, st.text(max_size=80)), max_size=120))
def test_page_like_text_keeps_the_output_promises(lines: list[str]) -> None:
    page = parse_text("\n".join(lines))

    pairs = [quote.pair for quote in page.ticker]
    assert len(pairs) == len(set(pairs))
    assert (page.ticker_repeats > 0) == bool(page.ticker)
    for article in page.articles:
        assert article.title and article.title == article.title.strip()
        assert "\u00a0" not in article.body and "  " not in article.body
        assert not article.body.endswith("Continue reading")
    assert len(page.warnings) <= 22


html_pieces = st.sampled_from(
    [
        "<div>",
        "</div>",
        "<p>",
        "</p>",
        "<h2>",
        "</h2>",
        "<ul>",
        "<li>",
        "</ul>",
        "<br>",
        "<table><tr><td>",
        "<script>",
        "</script>",
        "<nav>",
        "</nav>",
        "<!--",
        "-->",
        "<span class=screen-reader-text>",
        "</span>",
        "&nbsp;",
        "&bull; KGS/USD = 0.01144 0%",
        "Kyrgyzstan Backs Turkish Arms Embargo",
        "Body text.",
        "<",
    ]
)


@QUICKLY
@given(pieces=st.lists(st.one_of(html_pieces, st.text(max_size=20)), max_size=200))
def test_any_html_gives_a_page(pieces: list[str]) -> None:
    body = ("<html><body>" + "".join(pieces)).encode("utf-8", "surrogatepass")
    try:
        assert isinstance(parse_page(body, "text/html", "utf-8"), ParsedPage)
    except ParseError as error:
        assert error.reason in {"undecodable_body", "binary_body", "empty_body"}


real_charsets = st.sampled_from(["utf-8", "utf-16", "utf-16-le", "cp1251", "koi8-r", "latin-1", "cp1252"])


@QUICKLY
@given(
    lines=st.lists(page_lines, max_size=40), written=real_charsets, declared=real_charsets, html=st.booleans()
)
def test_text_written_in_one_charset_and_declared_as_another_gives_a_page_or_a_parse_error(
    lines: list[str], written: str, declared: str, html: bool
) -> None:
    text = "\n".join(lines) + "\nКыргызстан Подписал Соглашение\n"
    body = (f"<html><body><p>{text}</p>" if html else text).encode(written, errors="replace")
    if written == declared:  # an honest label always reads
        assert isinstance(parse_page(body, "text/html" if html else "text/plain", declared), ParsedPage)
        return
    try:
        assert isinstance(parse_page(body, "text/html" if html else "text/plain", declared), ParsedPage)
    except ParseError as error:
        assert error.reason in {"charset_mismatch", "undecodable_body", "binary_body", "empty_body"}
