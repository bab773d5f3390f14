"""One parsed snapshot: ticker quotes, listing header and article teasers, as frozen dataclasses."""

from dataclasses import dataclass
from datetime import date
from typing import Any

#: The JSON object `pagewire parse --json` prints and other stages consume (issue 3's contract).
PageJson = dict[str, Any]


@dataclass(frozen=True, slots=True)
class TickerQuote:
    """One ticker row, e.g. `• TJS/USD = 0.09156 -0.11%`, with numbers kept as the decimal strings printed."""

    pair: str  # "TJS/USD"
    base: str  # "TJS"
    quote: str  # "USD"
    rate: str  # "0.09156": exactly as printed, so "0.00200" keeps its trailing zeros
    change_pct: str  # "-0.11", "0", "-0" (kept: the site prints "-0%"), positive without a sign

    def to_json(self) -> PageJson:
        return {
            "pair": self.pair,
            "base": self.base,
            "quote": self.quote,
            "rate": self.rate,
            "change_pct": self.change_pct,
        }


@dataclass(frozen=True, slots=True)
class Pagination:
    """The `Viewing results 1 - 6 of 131` line: which slice of the listing this page shows."""

    first: int
    last: int
    total: int

    def to_json(self) -> PageJson:
        return {"first": self.first, "last": self.last, "total": self.total}


@dataclass(frozen=True, slots=True)
class ArticleTeaser:
    """One article as the listing shows it: a title and the (often cut) excerpt under it."""

    title: str
    body: (
        str  # paragraphs joined by a blank line ("\n\n"); dateline, shortcodes and "Continue reading" removed
    )
    dateline: str | None  # "DUSHANBE", "OSH, Kyrgyzstan"; None when the body opens without one
    truncated: bool  # the listing cut the body: "...", "…", mid-sentence, or a "Continue reading" link

    def to_json(self) -> PageJson:
        return {
            "title": self.title,
            "body": self.body,
            "dateline": self.dateline,
            "truncated": self.truncated,
        }


@dataclass(frozen=True, slots=True)
class ParsedPage:
    """Everything pagewire reads from one snapshot of a listing page."""

    ticker: tuple[TickerQuote, ...]  # one per pair, first-seen order
    ticker_repeats: int  # how many times the marquee printed its rows (0 without a ticker)
    listing_date: date | None
    pagination: Pagination | None
    articles: tuple[ArticleTeaser, ...]  # top to bottom
    warnings: tuple[str, ...]  # readable notes on what looked wrong but did not stop the parse
    heading: str | None = None  # "Category: Economy", "Tag: Uzbekistan": the listing's own name
    lines: int = 0  # non-blank rendered lines read
    dropped_lines: int = 0  # of those, lines that belong to no article, ticker, heading, date or pagination

    def to_json(self) -> PageJson:
        """The issue's JSON object, keys in the issue's order; dates as ISO strings."""
        return {
            "ticker": [quote.to_json() for quote in self.ticker],
            "ticker_repeats": self.ticker_repeats,
            "listing_date": self.listing_date.isoformat() if self.listing_date else None,
            "pagination": self.pagination.to_json() if self.pagination else None,
            "heading": self.heading,
            "articles": [article.to_json() for article in self.articles],
            "lines": self.lines,
            "dropped_lines": self.dropped_lines,
            "warnings": list(self.warnings),
        }
