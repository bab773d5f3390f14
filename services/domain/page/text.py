"""Rendered lines of a listing page to a ParsedPage: split, classified (remembering recent lines across
pages), then read top to bottom by services/domain/page/reader.py, which says how each kind of line counts."""

from collections.abc import Iterable
from functools import lru_cache

from services.domain.page.lines import PageLine, classify
from services.domain.page.model import ParsedPage
from services.domain.page.reader import PageReader

# Lines remembered across pages (_classify_known): a few sites' pages' worth of
# lines, each at most a long paragraph, so at most some 10 MB.
_CACHED_LINES = 2048
_CACHED_LINE_LENGTH = 4096
_OTHER_BREAKS = ("\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def parse_text(text: str) -> ParsedPage:
    """Parse a plain-text rendering of a listing page (like samples/seed.txt)."""
    # str.splitlines knows eleven line breaks and is twice as slow as str.split: pages break lines with
    # "\n" alone, so split there when no other break occurs (a last "" is a blank line, dropped anyway)
    lines = text.splitlines() if any(other in text for other in _OTHER_BREAKS) else text.split("\n")
    return parse_lines(lines)


def parse_lines(raw_lines: Iterable[str]) -> ParsedPage:
    """Parse a page already split into rendered lines (the text rendering, or page_html's output)."""
    # classify, remembering recent lines across pages (_classify_known); inlined: this runs per line
    lines = [
        line
        for raw in raw_lines
        if (line := classify(raw) if len(raw) > _CACHED_LINE_LENGTH else _classify_known(raw)) is not None
    ]
    reader = PageReader(lines=len(lines))
    for index, line in enumerate(lines):
        reader.read(line, lines, index)
    return reader.page()


def forget_lines() -> None:
    """Empty the cross-page line memory (for measuring the parser on lines it has never seen)."""
    _classify_known.cache_clear()


@lru_cache(maxsize=_CACHED_LINES)
def _classify_known(raw: str) -> PageLine | None:
    """classify, remembering recent lines across pages: a marquee prints the same rows up to eight times,
    and the next page of a site repeats most of the last one (its marquee, date, most teasers). A line is
    classified from itself alone and a PageLine is immutable, so a remembered one is the same answer."""
    return classify(raw)
