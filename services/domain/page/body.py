"""Article body paragraphs: WordPress shortcodes, trailing "Continue reading", datelines and truncation."""

import re

# Shortcodes the site's excerpts leak (the caption's text is image credit, not article text). Only these
# names are stripped, so a bracketed "[sic]" or "[1]" in a quote stays. Attributes are bounded so that a
# "[caption" without its "]" cannot make the search read to the end of the text at every occurrence.
_SHORTCODE = re.compile(
    r"\[(?P<closing>/)?(?P<name>caption|wp_caption|video|audio|gallery|embed|playlist)\b[^\]]{0,500}\]"
)

# "DUSHANBE (TCA) —", "OSH, Kyrgyzstan (TCA) —", "ASTANA - ", "Tashkent, Uzbekistan - ". A capitalised
# word followed by a dash is common prose too ("Kazakhstan – and its neighbours"), so a dateline must
# show one more sign of being one: a city in capitals, a ", Region" part, or an "(AGENCY)".
# Possessive quantifiers (*+, {0,2}+): a word is taken whole or not at all, so a title-case line that is
# not a dateline fails at once instead of backtracking through every way of splitting its words.
_PLACE_WORDS = r"[A-Z][\w'’.\-]*+(?: [A-Z][\w'’.\-]*+){0,2}+"
_DATELINE = re.compile(
    rf"(?P<city>{_PLACE_WORDS})"
    rf"(?:, (?P<region>{_PLACE_WORDS}))?"
    r"(?: ?\((?P<agency>[A-Za-z][\w .&]{0,20})\))?"
    r"(?: ?[—–]| -)(?: |$)"
)

#: the link texts that end a teaser on the site's listings and on WordPress themes ("more" links)
CONTINUE_LINKS = ("Continue reading", "Read more", "Read More")
_CONTINUE_DECORATION = " →»›….>"
_OPEN_QUOTES = '“"‘'
_CLOSE_QUOTES = '”"’'
_MAX_QUOTED_TITLE = 250
# the longest link text, a space, decoration and a quoted title: where a trailing link can start at most
_CONTINUE_WINDOW = 16 + 8 + _MAX_QUOTED_TITLE + 8
_CLOSERS = "”’\"')]»"
_ELLIPSES = ("...", "…")
_SENTENCE_ENDS = (".", "!", "?")


def strip_shortcodes(paragraph: str) -> str:
    """`[caption id="a1"]<credit>[/caption] Text [video mp4="x"][/video]` -> `Text`.

    A shortcode with its closing tag goes with everything between; one whose closing tag the excerpt cut
    off, a stray closing tag and a self-closing `[gallery ids="1,2"]` go alone. One pass, in linear time:
    once a name's closing tag is missing after some point, it is not searched for again.
    """
    if "[" not in paragraph:
        return paragraph
    kept: list[str] = []
    at = 0
    unclosed: set[str] = set()
    while (tag := _SHORTCODE.search(paragraph, at)) is not None:
        kept.append(paragraph[at : tag.start()])
        at = tag.end()
        name = tag["name"]
        if tag["closing"] or name in unclosed:
            continue
        closing = paragraph.find(f"[/{name}]", at)
        if closing == -1:
            unclosed.add(name)
        else:
            at = closing + len(name) + 3
    if not kept:
        return paragraph
    kept.append(paragraph[at:])
    return " ".join(" ".join(kept).split())


def split_trailing_continue(paragraph: str) -> tuple[str, bool]:
    """`Body text...   Continue reading →` -> ("Body text...", True); other text is returned unchanged.

    The link text ("Continue reading", "Read more") must come last, set off by a space, as the site renders
    it; after it may only come an arrow or ellipsis, or the quoted article title WordPress adds for screen
    readers. The words anywhere else in a sentence are prose and stay.
    """
    # the link can only stand in the paragraph's last few hundred characters: search there alone
    start = max(0, len(paragraph) - _CONTINUE_WINDOW)
    tail = paragraph[start:]
    link, at = CONTINUE_LINKS[0], -1
    for candidate in CONTINUE_LINKS:
        found = tail.rfind(candidate)
        if found > at:
            link, at = candidate, found
    if at == -1:
        return paragraph, False
    at += start
    if at <= 0 or paragraph[at - 1] != " ":
        return paragraph, False
    rest = paragraph[at + len(link) :].strip(_CONTINUE_DECORATION)
    if rest and not (
        rest[0] in _OPEN_QUOTES and rest[-1] in _CLOSE_QUOTES and len(rest) <= _MAX_QUOTED_TITLE
    ):
        return paragraph, False
    return paragraph[:at].rstrip(), True


def split_dateline(paragraph: str) -> tuple[str | None, str]:
    """`OSH, Kyrgyzstan (TCA) — Officials said...` -> ("OSH, Kyrgyzstan", "Officials said...").

    The dateline keeps the place as printed (capitals and all) without the agency and the dash; a
    paragraph without one comes back as (None, paragraph).
    """
    found = _DATELINE.match(paragraph)
    if found is None:
        return None, paragraph
    city, region = found["city"], found["region"]
    if not (city.isupper() or region or found["agency"]):
        return None, paragraph
    return (f"{city}, {region}" if region else city), paragraph[found.end() :].strip()


def opens_with_dateline(paragraph: str) -> bool:
    return split_dateline(paragraph)[0] is not None


def is_cut(paragraph: str) -> bool:
    """True when a body's last paragraph stops before its sentence does.

    "...", "…" or no sentence-final punctuation (".", "!", "?", possibly inside closing quotes) means the
    listing cut it, whether mid-word or between words: the two cannot be told apart from the text.
    """
    if paragraph.endswith(_ELLIPSES):
        return True
    tail = paragraph.rstrip(_CLOSERS)
    return tail.endswith(_ELLIPSES) or not tail.endswith(_SENTENCE_ENDS)
