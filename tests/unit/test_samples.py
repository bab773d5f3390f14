"""The bundled snapshots in samples/ parse to exactly what samples/README.md promises other tests."""

import pytest

from services.domain.page.model import ParsedPage
from services.domain.page.parse import parse_page
from tests.support.pages import REPO, SEED, SEED_TITLES

SAMPLES = REPO / "samples"
PAIRS = ("KGS/USD", "KZT/USD", "TJS/USD", "UZS/USD", "TMT/USD")
S1, S2, S3, S4, S5, S6 = SEED_TITLES
N1 = "Kazakhstan and Kyrgyzstan Agree to Simplify Border Checks for Trucks"
N2 = "Uzbekistan Plans First Soum-Denominated Green Eurobonds"
N3 = "Tajikistan’s TALCO Reports Higher Aluminum Output in January"

TITLES = {"S1": S1, "S2": S2, "S3": S3, "S4": S4, "S5": S5, "S6": S6, "N1": N1, "N2": N2, "N3": N3}

# The two tables of samples/README.md. Tickers: per file, each pair's rate and change in PAIRS order
# ("- -" when the marquee leaves the pair out), then the repeats. Articles: pagination total, then titles.
TICKERS = """
replay/20250219T060000Z.txt   0.01144 0     0.00200 0     0.09156 -0.11  0.00008 0      0.28530 -0.14  8
replay/20250219T070000Z.txt   0.01144 0     0.00200 0     0.09156 -0.11  0.00007 -0.04  0.28530 -0.14  8
replay/20250219T080000Z.txt   0.01144 0     0.00200 0     0.09156 -0.11  0.00007 -0.04  0.28530 -0.14  8
replay/20250219T090000Z.txt   0.01160 1.4   0.00200 0     0.09149 -0.19  0.00007 -0.04  0.28530 -0.14  8
replay/20250219T100000Z.html  0.01160 1.4   0.00200 0     0.09149 -0.19  0.00007 -0.04  0.28530 -0.14  8
replay/20250219T110000Z.txt   0.01160 1.4   0.00200 0     0.09149 -0.19  0.00007 -0.04  0.28530 -0.14  6
replay/20250219T120000Z.txt   0.01160 1.4   0.00200 -0    0.09149 -0.19  0.00007 -0.04  0.28530 -0.14  6
replay/20250219T130000Z.html  0.01160 1.4   0.00199 -0.5  0.09149 -0.19  0.00007 -0.04  0.28530 -0.14  6
replay/20250219T140000Z.txt   0.01150 0.52  0.00199 -0.5  0.09149 -0.19  0.00008 0.01   0.28530 -0.14  5
replay/20250219T150000Z.txt   0.01150 0.52  0.00199 -0.5  0.09149 -0.19  0.00008 0.01   - -            6
replay/20250219T160000Z.txt   0.01150 0.52  0.00199 -0.5  0.09170 0.04   0.00008 0.01   0.28530 -0.14  3
late/20250219T053000Z.txt     0.01143 -0.09 0.00200 0     0.09158 -0.09  0.00008 0      0.28530 -0.14  8
"""
ARTICLES = """
replay/20250219T060000Z.txt   131  S1 S2 S3 S4 S5 S6
replay/20250219T070000Z.txt   131  S1 S2 S3 S4 S5 S6
replay/20250219T080000Z.txt   131  S1 S2 S3 S4 S5 S6
replay/20250219T090000Z.txt   131  S1 S2 S3 S4 S5 S6
replay/20250219T100000Z.html  131  S1 S2 S3 S4 S5 S6
replay/20250219T110000Z.txt   132  N1 S1 S2 S3 S4 S5
replay/20250219T120000Z.txt   132  N1 S1 S2 S3 S4 S5
replay/20250219T130000Z.html  132  N1 S1 S2 S3 S4 S5
replay/20250219T140000Z.txt   133  N2 N1 S1 S2 S3 S4
replay/20250219T150000Z.txt   133  N2 N1 S1 S2 S3 S4
replay/20250219T160000Z.txt   134  N3 N2 N1 S1 S2 S3
late/20250219T053000Z.txt     131  S1 S2 S3 S4 S5 S6
"""
EXPECTED_TICKERS = {line.split()[0]: line.split()[1:] for line in TICKERS.strip().splitlines()}
EXPECTED_ARTICLES = {line.split()[0]: line.split()[1:] for line in ARTICLES.strip().splitlines()}


def parse(name: str) -> ParsedPage:
    return parse_page((SAMPLES / name).read_bytes(), None, None)


def test_every_bundled_snapshot_is_listed() -> None:
    bundled = {
        str(path.relative_to(SAMPLES)) for path in SAMPLES.rglob("*") if path.suffix in {".txt", ".html"}
    }

    assert bundled == set(EXPECTED_TICKERS) | {"seed.txt"}
    assert set(EXPECTED_ARTICLES) == set(EXPECTED_TICKERS)


@pytest.mark.parametrize("name", sorted(EXPECTED_TICKERS))
def test_snapshot_ticker(name: str) -> None:
    *values, repeats = EXPECTED_TICKERS[name]
    page = parse(name)

    rows = [(pair, *values[2 * n : 2 * n + 2]) for n, pair in enumerate(PAIRS) if values[2 * n] != "-"]
    assert [(q.pair, q.rate, q.change_pct) for q in page.ticker] == rows
    assert page.ticker_repeats == int(repeats)


@pytest.mark.parametrize("name", sorted(EXPECTED_ARTICLES))
def test_snapshot_header_and_articles(name: str) -> None:
    total, *codes = EXPECTED_ARTICLES[name]
    page = parse(name)

    assert page.listing_date is not None and page.listing_date.isoformat() == "2025-02-19"
    assert page.pagination is not None
    assert (page.pagination.first, page.pagination.last, page.pagination.total) == (1, 6, int(total))
    assert [a.title for a in page.articles] == [TITLES[code] for code in codes]
    assert page.warnings == ()


def test_replay_starts_with_the_seed_and_has_a_byte_for_byte_duplicate() -> None:
    replay = SAMPLES / "replay"

    assert (replay / "20250219T060000Z.txt").read_bytes() == SEED.read_bytes()
    assert (replay / "20250219T080000Z.txt").read_bytes() == (replay / "20250219T070000Z.txt").read_bytes()


def test_html_snapshot_carries_the_same_content_as_the_text_before_it() -> None:
    assert parse("replay/20250219T100000Z.html") == parse("replay/20250219T090000Z.txt")


def test_the_new_article_is_revised_with_a_longer_excerpt() -> None:
    first = parse("replay/20250219T110000Z.txt").articles[0]
    revised = parse("replay/20250219T120000Z.txt").articles[0]

    assert (first.title, len(first.body), first.truncated) == (N1, 330, True)
    assert (revised.title, len(revised.body), revised.truncated) == (N1, 642, True)
    assert revised.body.startswith(first.body.removesuffix("..."))
    assert parse("replay/20250219T130000Z.html").articles[0] == revised


def test_new_articles_with_datelines() -> None:
    latest = parse("replay/20250219T160000Z.txt").articles

    assert [(a.title, a.dateline, a.truncated) for a in latest[:2]] == [
        (N3, "DUSHANBE", False),
        (N2, "Tashkent, Uzbekistan", True),
    ]
    assert latest[0].body.startswith("Tajikistan’s state aluminum company TALCO produced 9,600 tonnes")
