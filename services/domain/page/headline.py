"""Whether a line taken for an article title is a plausible headline, or a page of another layout leaking.

A rates table, a timestamp or a whole paragraph can take the shape of a title: emitting it as an article
would put junk on the article topics and hide that the page was not understood. Such a teaser is dropped
and the snapshot's summary says why (services/domain/page/reader.py).
"""

import re
from functools import lru_cache

MAX_HEADLINE = 300
# a number, a date or a time, a rate or a percentage: 89.5, 04.12.2026, 12:30, 1,155,000, +0.5%, 2024-2028
_NUMERIC = re.compile(r"[-+−(]?[$€£¥₸]?\d[\d.,:/%-]*[%)]?")
_DIGITS = frozenset("0123456789")


@lru_cache(maxsize=4096)  # a site's next page repeats most of its titles
def headline_problem(title: str) -> str | None:
    """Why `title` is not a plausible headline, or None when it is one."""
    if len(title) > MAX_HEADLINE:
        return f"over {MAX_HEADLINE} characters"
    words = title.split()
    numeric = 0
    if not _DIGITS.isdisjoint(title):  # most titles have no digit at all
        numeric = sum(1 for word in words if _NUMERIC.fullmatch(word.strip("“”\"'‘’«»:;,")))
    if words and numeric * 2 >= len(words):
        return "half or more of its words are numbers, dates or rates"
    if title.endswith((".", "!", "?")) and title.count(". ") >= 2:
        return "a paragraph, not a headline"
    return None
