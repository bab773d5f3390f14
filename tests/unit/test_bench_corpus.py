"""The benchmark's seed-like pages: the HTML rendering of a page says exactly what its text says, so the
parser's HTML stream figure measures the same pages as its text one."""

import pytest

from bench.corpus import Corpus
from services.domain.page.parse import parse_page

CORPUS = Corpus()


@pytest.mark.parametrize("index", [0, 7, 13, 611])
def test_a_page_in_html_parses_to_what_its_text_parses_to(index: int) -> None:
    site, text = CORPUS.body(index)
    html_site, html = CORPUS.html_body(index)
    as_text, as_html = parse_page(text, "text/plain", None), parse_page(html, "text/html", None)

    assert html_site == site
    assert as_html.ticker == as_text.ticker and len(as_html.ticker) == 5
    assert (as_html.listing_date, as_html.pagination) == (as_text.listing_date, as_text.pagination)
    assert as_html.articles == as_text.articles and len(as_html.articles) == 6
    assert as_html.articles[0].title == CORPUS.titles[index // len(CORPUS.sites) % len(CORPUS.titles)]
    assert as_html.dropped_lines == 0
