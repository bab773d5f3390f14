"""Classified lines of a listing page, read top to bottom into a ParsedPage: what each line kind counts for.

The page reads top to bottom as: a ticker (a marquee repeating the same rows, or a table printed once), an
optional listing heading ("Category: Economy", "Tag: ...", "Search results for ..."), an optional date
line and an optional pagination line (in any order), then articles, each a title line followed by body
paragraphs. Blank lines only separate; every other line is one paragraph. How lines are read:

- Ticker rows are recognised wherever they appear (their shape cannot be mistaken for prose). A pair is
  kept once, with the values it had first; a later row of that pair with other values is reported in
  warnings. A pair printed as `n/a` gives no quote and no warning. `ticker_repeats` counts the rows of
  the first pair, i.e. how many times the marquee started. A page with no ticker row says so in warnings.
- The first date and pagination lines before the first article fill `listing_date` and `pagination`;
  later ones (a listing grouped by day, pagination repeated at the bottom) only end the current article.
- A Title Case line (lines.is_title_like) starts a new article when it is followed by a body paragraph,
  or when no article is open (at the top, or after a "Continue reading" link). A line in sentence case
  (lines.is_headline_like) starts one only when a body paragraph follows it. Otherwise such a line is the
  last, cut-off paragraph of the current body.
- A teaser whose title is not a plausible headline (headline.headline_problem: a rates row, a timestamp,
  a whole paragraph) is not an article: it is dropped, with a warning that says why.
- Bylines ("By ...", "• Written by ...") belong to no article and are skipped. Text outside any article
  (before the first title, or between a "Continue reading" and the next title) is dropped, with one
  warning that counts the lines.
- "Continue reading" or "Read more", on its own line or at the end of a body line, marks the body
  truncated and closes the article.
- `dropped_lines` counts the lines that belong to no article, ticker, heading, date or pagination: text
  outside any article, unreadable ticker rows and the lines of dropped teasers. A rising count is the first
  sign that a site changed its layout.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache

from services.domain.page.body import is_cut, split_dateline, split_trailing_continue, strip_shortcodes
from services.domain.page.headline import headline_problem
from services.domain.page.lines import LineKind, PageLine
from services.domain.page.model import ArticleTeaser, Pagination, ParsedPage, TickerQuote

NO_TICKER = "no ticker found"
_SNIPPET = 60
# The kinds, looked up once: an Enum member read from its class costs a tenth of a microsecond on 3.11,
# and the reader tests a few per line
_TICKER, _TEXT, _BYLINE, _CONTINUE = LineKind.TICKER, LineKind.TEXT, LineKind.BYLINE, LineKind.CONTINUE
_BAD_TICKER, _DATE, _PAGINATION = LineKind.BAD_TICKER, LineKind.DATE, LineKind.PAGINATION
_NO_QUOTE, _TICKER_HEADER, _HEADING = LineKind.NO_QUOTE, LineKind.TICKER_HEADER, LineKind.HEADING
_SENTENCE_ENDS = (".", "!", "?", "…", ".”", '."', ".’", "?”", "!”")
_MAX_TITLE = 200
# Garbage input could otherwise produce one warning per line; past this many, they are only counted.
_MAX_WARNINGS = 20


@dataclass(slots=True)
class _Draft:
    """An article being read: its title and the body paragraphs so far."""

    title: str
    paragraphs: list[str] = field(default_factory=list)
    dateline: str | None = None
    continued: bool = False  # a "Continue reading" link followed the body
    lines: int = 1  # the page lines it was read from: its title so far


@dataclass(slots=True)
class PageReader:
    """Reads classified lines in page order; one instance per page."""

    quotes: dict[str, TickerQuote] = field(default_factory=dict)
    row_pairs: dict[str, str] = field(default_factory=dict)  # text of each ticker row read -> its pair
    first_pair: str | None = None
    repeats: int = 0
    listing_date: date | None = None
    pagination: Pagination | None = None
    heading: str | None = None
    header_done: bool = False  # set by the first article: date and pagination lines after it are ignored
    draft: _Draft | None = None
    articles: list[ArticleTeaser] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    warned: set[str] = field(default_factory=set)
    unshown_warnings: int = 0
    orphans: list[str] = field(default_factory=list)
    lines: int = 0  # set by the caller: every line it hands to `read`
    dropped: int = 0

    def read(self, line: PageLine, lines: list[PageLine], index: int) -> None:
        kind = line.kind
        if kind is _TICKER:  # first: most lines of a page are marquee rows, most of them repeats
            if self.draft is not None:
                self._close()
            rows = line.rows
            for row in rows:
                # a line of one row is that row's text: no need to cut it out of the match again
                repeated = self.row_pairs.get(line.text if len(rows) == 1 else row[0])
                if repeated is None:
                    self._read_ticker(row)
                elif repeated == self.first_pair:
                    self.repeats += 1
        elif kind is _TEXT:
            self._read_text(line, lines, index)
        elif kind is _BYLINE:
            if self.draft is not None:
                self.draft.lines += 1
        elif kind is _CONTINUE:
            if self.draft is not None:
                self.draft.continued = True
                self.draft.lines += 1
            self._close()
        else:
            self._close()
            if kind is _BAD_TICKER:
                self.dropped += 1
                self._warn(f"unreadable ticker row ignored: {line.text!r}")
            elif kind is _HEADING:
                if self.heading is None and not self.header_done:
                    self.heading = line.text
            elif not self.header_done and kind is _DATE:
                self._read_date(line)
            elif not self.header_done and kind is _PAGINATION:
                self._read_pagination(line)
            # _NO_QUOTE, _TICKER_HEADER and later dates or paginations: understood, nothing to keep

    def page(self) -> ParsedPage:
        self._close()
        if not self.quotes:
            self.warnings.insert(0, NO_TICKER)
            if len(self.warnings) > _MAX_WARNINGS:  # the most telling warning first, within the cap
                self.warnings.pop()
                self.unshown_warnings += 1
        if self.unshown_warnings:
            self.warnings.append(f"{self.unshown_warnings} more warning(s) not shown")
        if self.orphans:
            self.dropped += len(self.orphans)
            self.warnings.append(
                f"ignored {len(self.orphans)} line(s) of text outside any article, the first: "
                f"{_snippet(self.orphans[0])!r}"
            )
        return ParsedPage(
            ticker=tuple(self.quotes.values()),
            ticker_repeats=self.repeats,
            listing_date=self.listing_date,
            pagination=self.pagination,
            articles=tuple(self.articles),
            warnings=tuple(self.warnings),
            heading=self.heading,
            lines=self.lines,
            dropped_lines=self.dropped,
        )

    def _read_ticker(self, row: re.Match[str]) -> None:
        """A row not seen before on this page (identical repeats are only counted, in read)."""
        base, quote = row["base"], row["quote"]
        # A Unicode minus or a plus sign would make equal changes compare unequal downstream.
        change = row["change"].replace("−", "-").removeprefix("+")
        seen = TickerQuote(f"{base}/{quote}", base, quote, row["rate"], change)
        if self.first_pair is None:
            self.first_pair = seen.pair
        if seen.pair == self.first_pair:
            self.repeats += 1
        self.row_pairs[row[0]] = seen.pair
        kept = self.quotes.setdefault(seen.pair, seen)
        if kept != seen:
            self._warn(
                f"{seen.pair} printed with different values: kept {kept.rate} {kept.change_pct}%, "
                f"ignored {seen.rate} {seen.change_pct}%"
            )

    def _read_date(self, line: PageLine) -> None:
        assert line.match is not None
        if self.listing_date is not None:
            return
        found = line.match
        day, month = found["day"] or found["day_second"], found["month"] or found["month_first"]
        self.listing_date = _calendar_date(day, month, found["year"])
        if self.listing_date is None:
            self._warn(f"invalid listing date ignored: {line.text!r}")

    def _read_pagination(self, line: PageLine) -> None:
        assert line.match is not None
        if self.pagination is not None:
            return
        first, last, total = (int(line.match[name].replace(",", "")) for name in ("first", "last", "total"))
        if 1 <= first <= last <= total:
            self.pagination = Pagination(first, last, total)
        else:
            self._warn(f"inconsistent pagination ignored: {line.text!r}")

    def _read_text(self, line: PageLine, lines: list[PageLine], index: int) -> None:
        starts = (line.title_like and (self.draft is None or _body_follows(lines, index))) or (
            line.headline_like and _body_follows(lines, index, strictly=True)
        )
        if starts:
            self._close()
            self.header_done = True
            self.draft = _Draft(title=line.text)
        elif self.draft is None:
            self.orphans.append(line.text)
        else:
            self.draft.lines += 1
            self._add_paragraph(self.draft, line.text)

    def _add_paragraph(self, draft: _Draft, text: str) -> None:
        text, continued = split_trailing_continue(strip_shortcodes(text))
        if not draft.paragraphs and draft.dateline is None:
            draft.dateline, text = split_dateline(text)
        if text:
            draft.paragraphs.append(text)
        if continued:
            draft.continued = True
            self._close()

    def _close(self) -> None:
        draft, self.draft = self.draft, None
        if draft is None:
            return
        problem = headline_problem(draft.title)
        if problem is not None:
            self.dropped += draft.lines
            self._warn(f"teaser dropped, its title is not a headline ({problem}): {_snippet(draft.title)!r}")
            return
        body = "\n\n".join(draft.paragraphs)
        truncated = draft.continued or (bool(body) and is_cut(draft.paragraphs[-1]))
        self.articles.append(ArticleTeaser(draft.title, body, draft.dateline, truncated))

    def _warn(self, message: str) -> None:
        if message in self.warned:
            return
        self.warned.add(message)
        if len(self.warnings) < _MAX_WARNINGS:
            self.warnings.append(message)
        else:
            self.unshown_warnings += 1


@lru_cache(maxsize=1024)  # every page of a day prints the same date; strptime costs ~10 us
def _calendar_date(day: str, month: str, year: str) -> date | None:
    try:
        return datetime.strptime(f"{day} {month} {year}", "%d %B %Y").date()
    except ValueError:
        return None


def _body_follows(lines: list[PageLine], index: int, *, strictly: bool = False) -> bool:
    """Is the next line after `index` (bylines skipped) a body paragraph, i.e. text that is no title?

    `strictly`: and one that reads as prose for certain: it ends a sentence, runs longer than any title,
    or opens with a dateline; what a line in sentence case needs after it to be taken for a title.
    """
    for following in range(index + 1, len(lines)):
        line = lines[following]
        if line.kind is _BYLINE:
            continue
        if line.kind is not _TEXT or line.title_like:
            return False
        if not strictly:
            return True
        text = line.text
        return (
            len(text) > _MAX_TITLE
            or text.endswith(_SENTENCE_ENDS)
            or split_dateline(text)[0] is not None
            or split_trailing_continue(text)[1]
        )
    return False


def _snippet(text: str) -> str:
    return text if len(text) <= _SNIPPET else text[: _SNIPPET - 1] + "…"
