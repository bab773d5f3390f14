"""Layout drift against a site's recent pages: no teaser under a ticker, or under half the usual count."""

from services.domain.page.drift import RECENT_PAGES, remember, teaser_drift


def test_a_ticker_without_any_teaser_is_drift_even_on_a_first_page() -> None:
    assert teaser_drift((), 0, has_ticker=True) == (
        "the page has a ticker but no teaser: the listing may have changed its layout"
    )
    assert teaser_drift((), 0, has_ticker=False) is None


def test_under_half_the_median_of_the_recent_pages_is_drift() -> None:
    recent = (6, 6, 5, 6, 6, 6)
    assert teaser_drift(recent, 3, has_ticker=True) is None  # half of 6 is not under half
    assert teaser_drift(recent, 2, has_ticker=True) == (
        "2 teaser(s), under half the median of 6 on this site's last 6 pages: "
        "the listing may have changed its layout"
    )


def test_too_short_a_history_says_nothing() -> None:
    assert teaser_drift((6, 6, 6, 6), 1, has_ticker=True) is None


def test_the_history_keeps_the_newest_pages_only() -> None:
    recent: tuple[int, ...] = ()
    for count in range(RECENT_PAGES + 5):
        recent = remember(recent, count)
    assert recent == tuple(range(5, RECENT_PAGES + 5))
