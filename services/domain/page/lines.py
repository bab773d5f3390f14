"""One rendered line of a listing page: whitespace normalised, kind decided (ticker row, date, text...)."""

import re
from dataclasses import dataclass
from enum import Enum

from services.domain.page.body import CONTINUE_LINKS, opens_with_dateline


class LineKind(Enum):
    """What a line of a listing page is, decided from the line alone."""

    TICKER = "ticker"  # • KGS/USD = 0.01144 0% (or several such rows on one line, a one-line marquee)
    NO_QUOTE = "no_quote"  # • AFN/USD = n/a: the ticker shows the pair without a rate today
    TICKER_HEADER = "ticker_header"  # Pair Rate Change: the head of a ticker printed as a table
    BAD_TICKER = "bad_ticker"  # a bullet that names a pair but whose numbers cannot be read
    HEADING = "heading"  # Category: Economy, Tag: Uzbekistan, Search results for ...: the listing's name
    DATE = "date"  # 19 February 2025
    PAGINATION = "pagination"  # Viewing results 1 - 6 of 131
    CONTINUE = "continue"  # a "Continue reading" link on its own line
    BYLINE = "byline"  # • Written by ..., By ..., Posted on <date> by ...: about an article, not in it
    TEXT = "text"  # a title or a body paragraph; the page assembler decides which


@dataclass(frozen=True, slots=True)
class PageLine:
    """One non-blank line, normalised and classified, with what its pattern captured."""

    kind: LineKind
    text: str  # whitespace normalised: single spaces, no no-break or zero-width spaces, stripped
    match: re.Match[str] | None = None  # the pattern's groups for DATE and PAGINATION lines
    rows: tuple[re.Match[str], ...] = ()  # TICKER: each row on the line, with its groups
    title_like: bool = False  # TEXT only: could be an article title (see is_title_like)
    headline_like: bool = False  # TEXT only: could be a title in sentence case too (see is_headline_like)


# Zero-width spaces, joiners, soft hyphens and BOMs: invisible, and dropped from the text.
_INVISIBLE = re.compile(r"[\u00ad\u200b-\u200d\u2060\ufeff]")

# Patterns run on normalised lines (single spaces), with fullmatch; bounded, so no line makes them slow.
# A rate is read as printed even when it is impossible (negative, an exponent, NaN, Infinity): the row is
# then refused whole with its snapshot (services.domain.ticker.rows), rather than dropped as if it were "n/a".
_ROW = (
    r"•? ?(?P<base>[A-Z]{3})/(?P<quote>[A-Z]{3}) ?= ?"
    r"(?P<rate>[-+−]?(?:\d{1,9}(?:\.\d{1,12})?(?:[eE][-+]?\d{1,4})?|NaN|nan|Inf(?:inity)?|inf(?:inity)?))"
    r" \(?(?P<change>[-+−]?\d{1,9}(?:\.\d{1,12})?) ?%\)?"
)
_TICKER_ROW = re.compile(_ROW)
# A ticker printed as a table: cells in the order pair, rate, change, set off by spaces, tabs or bars.
_TABLE_ROW = re.compile(
    r"(?P<base>[A-Z]{3})/(?P<quote>[A-Z]{3}) (?:\| )?"
    r"(?P<rate>\d{1,9}(?:\.\d{1,12})?) (?:\| )?"
    r"\(?(?P<change>[-+−]?\d{1,9}(?:\.\d{1,12})?) ?%\)?"
)
_TABLE_HEADER = re.compile(
    r"(?:Pair|Currency|Currencies) (?:\| )?Rate (?:\| )?(?:Change|Change, ?%|Change %|%)"
)
_NO_QUOTE = re.compile(r"•? ?[A-Z]{3}/[A-Z]{3} ?= ?(?:n/a|N/A|—|-{1,2})(?: ?%)?")
# A marquee whose rows all sit on one line (inline <span>s in some HTML): rows separated by spaces only.
_MARQUEE = re.compile(rf"(?:{_ROW} ?)++")
_MAX_MARQUEE = 4000
_BAD_TICKER = re.compile(r"• ?[A-Z]{3}/[A-Z]{3}\b")
# WordPress archive titles ("Category: Economy", "Tag: Uzbekistan", "Author: ...", "Search Results for:
# gas", "Search results for “gas”", "Archives: February 2025"): the name of the listing, not an article.
_HEADING = re.compile(
    r"(?:(?:Category|Tag|Author|Archives?|Topic|Month|Year|Day|Series|Section): .{1,120}"
    r"|(?:Search results|Search Results|Results) for(?::| ?[“\"‘]).{1,120})"
)
_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_DATE = re.compile(
    r"(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,? )?"
    rf"(?:(?P<day>\d{{1,2}}) (?P<month>{_MONTHS})|(?P<month_first>{_MONTHS}) (?P<day_second>\d{{1,2}}),?)"
    r" (?P<year>\d{4})"
)
_PAGINATION = re.compile(
    r"Viewing results (?P<first>\d[\d,]{0,12}) ?[-–—] ?(?P<last>\d[\d,]{0,12}) of (?P<total>\d[\d,]{0,12})"
)
_CONTINUE_LINE = re.compile(
    rf"(?:{'|'.join(CONTINUE_LINKS)})(?: ?(?:[→»›…]|\.\.\.)| [“\"‘].{{0,200}}[”\"’](?: ?[→»›])?)?"
)
_BYLINE = re.compile(r"(?P<bullet>• ?)?(?:Written by|By) (?P<who>.{2,100})")
# WordPress post meta: "Posted on February 19, 2025 by Staff", "Updated 19 February 2025".
_POSTED = re.compile(
    r"(?:Posted|Published|Updated)(?: on)? "
    rf"(?:\d{{1,2}} (?:{_MONTHS})|(?:{_MONTHS}) \d{{1,2}},?) \d{{4}}(?: by .{{1,80}})?"
)

_MAX_TITLE = 200  # the site's titles run to about 140 characters
_MAX_HEADLINE_WORDS = 25
# Words title case leaves in lower case; they say nothing about whether a line is a title.
# fmt: off
_SMALL_WORDS = frozenset((
    "a", "an", "and", "as", "at", "but", "by", "for", "from", "in", "into", "nor", "of", "off", "on",
    "onto", "or", "over", "per", "so", "than", "the", "to", "up", "upon", "via", "vs", "vs.", "with", "yet",
))
# fmt: on
# Name particles and patronymics of the region's authors: "Aruuke Uran kyzy", "Ahmad bin Ali".
# fmt: off
_NAME_PARTICLES = frozenset((
    "al", "bin", "binti", "de", "del", "el", "ibn", "kyzy", "ogly", "qizi", "uulu", "van", "von",
))
# fmt: on
_OPENERS = "“‘\"'«([¡¿"
_CLOSERS = "”’\"'»)]"
_NOT_TITLE_ENDS = ".,;:…—–-"
_CREDIT_LABELS = ("Photo:", "Photos:", "Image:", "Video:", "Source:", "Credit:")


def normalise(raw: str) -> str:
    """Collapse every run of whitespace (no-break spaces included) to one space and drop invisibles."""
    # str.replace and `in` run in C; split/join and regexes only for lines that still need them. No-break
    # spaces and double spaces are common in the site's text, other odd whitespace is rare.
    text = raw.replace("\u00a0", " ") if "\u00a0" in raw else raw
    while "  " in text:
        text = text.replace("  ", " ")
    text = text.strip(" ")
    # str.isprintable() is False for any whitespace but the ASCII space (tabs, other separators) and for
    # invisible format characters, so a printable line is done.
    if text.isprintable():
        return text
    return " ".join(_INVISIBLE.sub("", text).split())


def classify(raw: str) -> PageLine | None:
    """The kind of one rendered line, or None for a blank one."""
    text = normalise(raw)
    if not text:
        return None
    head = text[0]
    if len(text) <= 60 and "/" in text:
        row = _TICKER_ROW.fullmatch(text) or _TABLE_ROW.fullmatch(text)
        if row is not None:
            return PageLine(LineKind.TICKER, text, rows=(row,))
        if _NO_QUOTE.fullmatch(text):
            return PageLine(LineKind.NO_QUOTE, text)
        if _BAD_TICKER.match(text):
            return PageLine(LineKind.BAD_TICKER, text)
    elif len(text) <= _MAX_MARQUEE and "%" in text and "=" in text and _MARQUEE.fullmatch(text):
        return PageLine(LineKind.TICKER, text, rows=tuple(_TICKER_ROW.finditer(text)))
    if len(text) <= 40:
        day = _DATE.fullmatch(text)
        if day is not None:
            return PageLine(LineKind.DATE, text, day)
    if head == "V" and text.startswith("Viewing results"):
        pages = _PAGINATION.fullmatch(text)
        if pages is not None:
            return PageLine(LineKind.PAGINATION, text, pages)
    if head in "CR" and text.startswith(CONTINUE_LINKS) and _CONTINUE_LINE.fullmatch(text):
        return PageLine(LineKind.CONTINUE, text)
    if head in "•WBPU" and (_is_byline(text) or _POSTED.fullmatch(text)):
        return PageLine(LineKind.BYLINE, text)
    if head in "CTAMYDSRP" and len(text) <= 140:
        if _HEADING.fullmatch(text):
            return PageLine(LineKind.HEADING, text)
        if _TABLE_HEADER.fullmatch(text):
            return PageLine(LineKind.TICKER_HEADER, text)
    title_like = is_title_like(text)
    return PageLine(
        LineKind.TEXT, text, title_like=title_like, headline_like=title_like or is_headline_like(text)
    )


def _is_byline(text: str) -> bool:
    """`• Written by Aruuke Uran kyzy`, `By Bruce Pannier`; not the sentences `By 2030, the plant...` or
    `Written by hand, the letter...`. After a bullet anything goes; otherwise the rest must read as names:
    at most 8 words, no digits, no sentence punctuation, lower case only for small words and particles.
    """
    byline = _BYLINE.fullmatch(text)
    if byline is None:
        return False
    if byline["bullet"]:
        return True
    who = byline["who"]
    words = who.split(" ")
    if len(words) > 8 or not who[0].isupper() or who[-1] in ".,;:" or any(c in who for c in "0123456789!?"):
        return False
    return all(not word.islower() or word in _SMALL_WORDS or word in _NAME_PARTICLES for word in words)


def is_headline_like(text: str) -> bool:
    """Could this line be a title written in sentence case ("Kyrgyzstan and the new gas deal with Beijing")?

    The shape of is_title_like without its count of lower-case words: at most about 200 characters, two to
    25 words, a capital (or an opening quote and a capital) first, no final stop, comma or dash, no dateline.
    Sentence case is also how a body's cut-off last fragment reads, so page_text takes such a line for a
    title only when a body paragraph follows it.
    """
    words = _title_words(text)
    if words is None or len(words) > _MAX_HEADLINE_WORDS:
        return False
    first = words[0].lstrip(_OPENERS)
    return bool(first) and first[0].isupper() and not opens_with_dateline(text)


def _title_words(text: str) -> list[str] | None:
    """The words of a line shaped like a title of either case (short, two words or more, no bullet or
    credit label, no final stop, comma or dash), or None."""
    if len(text) > _MAX_TITLE or text[0] == "•" or text.startswith(_CREDIT_LABELS):
        return None
    tail = text.rstrip(_CLOSERS)
    if not tail or tail[-1] in _NOT_TITLE_ENDS:
        return None
    words = text.split(" ")
    return words if len(words) >= 2 else None


def is_title_like(text: str) -> bool:
    """Could this line be an article title? The site writes titles in title case without a final stop.

    A title is at most about 200 characters, has two or more words, does not end in `.`, `,`, `;`, `:`,
    `…` or a dash (a `?` or `!` is fine), does not open with a dateline, starts with a capital, and at
    most one in five of its other significant words is lower case (small words such as "to", "the", "of"
    and words starting with a digit or `$` do not count). Credit lines ("Photo: Akorda") are not titles
    either. Body sentences fail this on their lower-case
    words or their final stop, which is what keeps short one-sentence paragraphs and a last fragment
    cut by the listing ("In order to change that, the ministers") out of the titles. Whether a title-like
    line *is* a title also depends on what follows it; see page_text.
    """
    words = _title_words(text)
    if words is None:
        return False
    significant = lower = 0
    for index, word in enumerate(words):
        core = word.lstrip(_OPENERS).rstrip(_CLOSERS + ",;:?!")
        if not core or not core[0].isalpha():
            continue
        if index == 0:
            if core.islower():
                return False
        elif core.lower() in _SMALL_WORDS:
            continue
        significant += 1
        lower += core.islower()
    return significant > 0 and lower * 5 <= significant - 1 and not opens_with_dateline(text)
