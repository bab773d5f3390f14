"""What one parsed snapshot feeds the stream: one observation per pair, every teaser, the summary."""

from datetime import UTC, date, datetime

import pytest

from services.common import codec
from services.domain.errors import ParseError
from services.domain.page.model import ArticleTeaser, Pagination, ParsedPage, TickerQuote
from services.domain.page.parse import parse_page
from services.domain.page.reading import read_snapshot
from services.domain.page.snapshot import Snapshot
from tests.conftest import SEED

FETCHED = datetime(2025, 2, 19, 6, 0, tzinfo=UTC)
URL = "https://timesca.com/news/"


def snapshot(body: bytes) -> Snapshot:
    return Snapshot(body, URL, "timesca.com", FETCHED, "text/plain", None)


def page(*quotes: TickerQuote, teasers: tuple[ArticleTeaser, ...] = ()) -> ParsedPage:
    return ParsedPage(quotes, 2, date(2025, 2, 19), Pagination(1, 6, 131), teasers, ("odd line",))


def test_the_seed_gives_five_observations_six_sightings_and_its_summary() -> None:
    body = SEED.read_bytes()
    seed = snapshot(body)
    reading = read_snapshot(seed, parse_page(body, "text/plain", None))
    assert [(row.key, row.rate, row.change_pct) for row in reading.observations] == [
        ("timesca.com|KGS/USD", "0.01144", "0"),
        ("timesca.com|KZT/USD", "0.00200", "0"),
        ("timesca.com|TJS/USD", "0.09156", "-0.11"),
        ("timesca.com|UZS/USD", "0.00008", "0"),
        ("timesca.com|TMT/USD", "0.28530", "-0.14"),
    ]
    assert {row.snapshot_id for row in reading.observations} == {seed.snapshot_id}
    assert {row.event_time for row in reading.observations} == {FETCHED}
    assert [sighting.title for sighting in reading.sightings][:2] == [
        "Kyrgyzstan Backs Turkish Arms Embargo Against Israel",
        "How Central Asia Is Shifting From Russia Towards Turkey",
    ]
    assert len(reading.sightings) == 6
    assert {(s.listing_date, s.source_url, s.event_time) for s in reading.sightings} == {
        (date(2025, 2, 19), URL, FETCHED)
    }
    assert reading.summary == {
        "schema": "pagewire.snapshot_summary/2",
        "snapshot_id": seed.snapshot_id,
        "site": "timesca.com",
        "source_url": URL,
        "event_time": "2025-02-19T06:00:00Z",
        "ticker_rows": 5,
        "ticker_repeats": 8,
        "articles": 6,
        "listing_date": "2025-02-19",
        "pagination": {"first": 1, "last": 6, "total": 131},
        "heading": None,
        "warnings": [],
        "size": len(body),
        "lines": 54,
        "dropped_lines": 0,
    }
    codec.validate(reading.summary)


def test_a_pair_printed_twice_with_different_values_keeps_the_first() -> None:
    first = TickerQuote("KGS/USD", "KGS", "USD", "0.01144", "0")
    second = TickerQuote("KGS/USD", "KGS", "USD", "0.01150", "0.5")
    reading = read_snapshot(snapshot(b"x"), page(first, second))
    assert [(row.pair, row.rate) for row in reading.observations] == [("KGS/USD", "0.01144")]
    assert reading.summary["ticker_rows"] == 1
    assert reading.summary["warnings"] == ["odd line"]


@pytest.mark.parametrize(
    ("quote", "teaser", "reason"),
    [
        (TickerQuote("KGS/USD", "KGS", "USD", "0.00000", "0"), None, "invalid_observation"),
        (TickerQuote("KG1/USD", "KG1", "USD", "0.01144", "0"), None, "invalid_observation"),
        (None, ArticleTeaser("...", "body", None, False), "empty_title"),
    ],
)
def test_one_unusable_row_or_teaser_rejects_the_whole_snapshot(
    quote: TickerQuote | None, teaser: ArticleTeaser | None, reason: str
) -> None:
    good = TickerQuote("KZT/USD", "KZT", "USD", "0.00200", "0")
    quotes = (good, quote) if quote else (good,)
    with pytest.raises(ParseError) as raised:
        read_snapshot(snapshot(b"x"), page(*quotes, teasers=(teaser,) if teaser else ()))
    assert raised.value.reason == reason


@pytest.mark.parametrize(
    ("printed", "problem"),
    [
        ("KGS/USD = 0.00000 0%", "rate 0.00000 is not positive"),
        ("KGS/USD = -0.01144 0%", "rate -0.01144 is not positive"),
        ("KGS/USD = −0.01144 0%", "not a plain decimal number: '−0.01144'"),
        ("KGS/USD = 1e308 0%", "not a plain decimal number: '1e308'"),
        ("KGS/USD = NaN 0%", "not a plain decimal number: 'NaN'"),
        ("KGS/USD = Infinity 0%", "not a plain decimal number: 'Infinity'"),
        ("KGQ/USD = 0.01144 0%", r"pair KGQ/USD: not ISO 4217 currency code\(s\): KGQ"),
        ("ABC/XYZ = 0.01144 0%", r"pair ABC/XYZ: not ISO 4217 currency code\(s\): ABC, XYZ"),
    ],
)
def test_a_marquee_row_with_an_absurd_rate_or_no_currency_refuses_the_snapshot_whole(
    printed: str, problem: str
) -> None:
    body = SEED.read_text().replace("KGS/USD = 0.01144 0%", printed).encode()
    parsed = parse_page(body, "text/plain", None)
    assert parsed.warnings == ()  # the parser reads the row as printed; judging it is the reading's job
    with pytest.raises(ParseError, match=problem) as refused:
        read_snapshot(snapshot(body), parsed)
    assert refused.value.reason == "invalid_observation"


def test_a_row_that_prints_no_number_is_still_skipped_with_a_warning() -> None:
    body = SEED.read_text().replace("KGS/USD = 0.01144 0%", "KGS/USD = 0.0114x 0%").encode()
    reading = read_snapshot(snapshot(body), parse_page(body, "text/plain", None))
    assert [row.pair for row in reading.observations] == ["KZT/USD", "TJS/USD", "UZS/USD", "TMT/USD"]
    assert reading.summary["warnings"] == ["unreadable ticker row ignored: '• KGS/USD = 0.0114x 0%'"]
    assert reading.summary["dropped_lines"] == 8  # the row, once per marquee round


def test_a_pair_printed_as_n_a_gives_no_observation_and_no_warning() -> None:
    body = SEED.read_text().replace("KGS/USD = 0.01144 0%", "KGS/USD = n/a").encode()
    reading = read_snapshot(snapshot(body), parse_page(body, "text/plain", None))
    assert [row.pair for row in reading.observations] == ["KZT/USD", "TJS/USD", "UZS/USD", "TMT/USD"]
    assert (reading.summary["warnings"], reading.summary["dropped_lines"]) == ([], 0)


@pytest.mark.parametrize(
    "body",
    [
        b"<html><head><title>Down for maintenance</title></head><body><script>x()</script></body></html>",
        b"<html><head><meta charset=utf-8><link rel=stylesheet href=/a.css",  # cut off in its head
        b"<<<>>>&&&#x;;</div></span><li></ul>" * 20,
    ],
)
def test_a_page_with_no_ticker_row_and_no_teaser_is_refused(body: bytes) -> None:
    page = parse_page(body, "text/html", "utf-8")
    with pytest.raises(ParseError, match="nothing on the page reads as a ticker row") as refused:
        read_snapshot(snapshot(body), page)
    assert refused.value.reason == "nothing_recognised"
