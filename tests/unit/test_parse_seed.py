"""The original page (samples/seed.txt) and its HTML rendering: exact ticker, header and articles."""

from services.domain.page.parse import parse_page, parse_text
from services.domain.page.text import forget_lines
from tests.support.pages import SEED, SEED_HTML, seed_json


def test_seed_text_gives_five_pairs_eight_repeats_and_six_articles() -> None:
    page = parse_text(SEED.read_text(encoding="utf-8"))

    assert page.to_json() == seed_json()
    assert list(page.to_json()) == [
        "ticker",
        "ticker_repeats",
        "listing_date",
        "pagination",
        "heading",
        "articles",
        "lines",
        "dropped_lines",
        "warnings",
    ]


def test_seed_bodies_have_no_break_and_double_spaces_collapsed() -> None:
    transit = parse_text(SEED.read_text(encoding="utf-8")).articles[4].body

    assert "valid for transit operations from January 1" in transit
    assert "August 27. The move which illustrates" in transit
    assert "\u00a0" not in transit and "  " not in transit


def test_seed_truncated_article_keeps_its_ellipsis() -> None:
    shifting = parse_text(SEED.read_text(encoding="utf-8")).articles[1]

    assert shifting.body.endswith("ministers of economy and trade of the OTS nations met in Bishkek to...")
    assert shifting.truncated is True


def test_seed_as_html_parses_to_the_same_page() -> None:
    html = parse_page(SEED_HTML.read_bytes(), "text/html; charset=UTF-8", None)

    assert html.to_json() == seed_json()


def test_seed_bytes_with_and_without_content_type_parse_the_same() -> None:
    body = SEED.read_bytes()

    assert parse_page(body, None, None).to_json() == seed_json()
    assert parse_page(body, "text/plain", "utf-8").to_json() == seed_json()


def test_lines_remembered_from_earlier_pages_never_change_a_page() -> None:
    replay = sorted((SEED.parent / "replay").iterdir())
    warm = [parse_page(path.read_bytes(), None, None).to_json() for path in replay * 2]

    cold = []
    for path in replay:
        forget_lines()
        cold.append(parse_page(path.read_bytes(), None, None).to_json())

    assert warm == cold * 2
    # as samples/README.md's table says: the marquee shows fewer repeats later in the day
    assert [page["ticker_repeats"] for page in cold] == [8, 8, 8, 8, 8, 6, 6, 6, 5, 6, 3]
    assert [len(page["ticker"]) for page in cold] == [5] * 9 + [4, 5]
