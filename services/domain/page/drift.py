"""Layout drift one page shows against its site's recent pages: a ticker but no teaser, or far fewer
teasers than usual. Loud, because a site that changes its layout otherwise just publishes fewer articles."""

from collections.abc import Sequence
from statistics import median

#: teaser counts of a site's last pages kept to compare with (the median of these)
RECENT_PAGES = 20
#: fewer pages than this say too little about what is usual for a site
MIN_HISTORY = 5


def teaser_drift(recent: Sequence[int], teasers: int, has_ticker: bool) -> str | None:
    """The warning for a page with `teasers` teasers after pages with `recent` (oldest first), or None."""
    if has_ticker and teasers == 0:
        return "the page has a ticker but no teaser: the listing may have changed its layout"
    if len(recent) >= MIN_HISTORY:
        usual = median(recent)
        if teasers * 2 < usual:
            return (
                f"{teasers} teaser(s), under half the median of {usual:g} on this site's last "
                f"{len(recent)} pages: the listing may have changed its layout"
            )
    return None


def remember(recent: Sequence[int], teasers: int) -> tuple[int, ...]:
    """The site's recent teaser counts once this page is counted: the newest RECENT_PAGES."""
    return (*recent, teasers)[-RECENT_PAGES:]
