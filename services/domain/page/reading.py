"""What one parsed snapshot feeds the stream: distinct ticker observations, article sightings, its summary."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from services.domain.articles.revisions import ArticleSighting, sighting_from_teaser
from services.domain.errors import ParseError
from services.domain.messages import snapshot_summary_message
from services.domain.page.model import ParsedPage
from services.domain.page.snapshot import Snapshot
from services.domain.ticker.rows import TickerObservation, observation_from_quote


@dataclass(frozen=True)
class SnapshotReading:
    """Everything the worker does with one snapshot, built and checked before any state is touched."""

    observations: tuple[TickerObservation, ...]
    sightings: tuple[ArticleSighting, ...]
    summary: dict[str, Any]


def read_snapshot(snapshot: Snapshot, page: ParsedPage, drift: Sequence[str] = ()) -> SnapshotReading:
    """Observations and sightings carry the snapshot's provenance; event time is its fetched_at. `drift`:
    warnings about the page against its site's recent ones (services.domain.page.drift), after the page's.

    Raises ParseError (invalid_observation, empty_title...) when any row or teaser is unusable, so a
    snapshot is either processed whole or dead-lettered whole: never half applied; and
    (nothing_recognised) when the page has neither a ticker row nor a teaser. Quotes are kept one
    per pair, the first printed, in case the marquee ever disagrees with itself.
    """
    if not page.ticker and not page.articles:
        # a maintenance page, garbage, a page cut off before its content, or a new layout: nothing to
        # emit, and the operator should see it in the deadletter topic rather than as an empty summary
        raise ParseError(
            "nothing on the page reads as a ticker row or an article teaser"
            + (f" ({page.warnings[0]})" if page.warnings else ""),
            reason="nothing_recognised",
        )
    snapshot_id = snapshot.snapshot_id  # a sha256 of the body each time it is asked for
    site, at, url = snapshot.site, snapshot.fetched_at, snapshot.source_url
    by_pair: dict[str, TickerObservation] = {}
    for quote in page.ticker:
        if quote.pair not in by_pair:
            by_pair[quote.pair] = observation_from_quote(
                quote, site=site, event_time=at, snapshot_id=snapshot_id, source_url=url
            )
    sightings = tuple(
        sighting_from_teaser(
            teaser,
            site=site,
            listing_date=page.listing_date,
            source_url=url,
            snapshot_id=snapshot_id,
            event_time=at,
        )
        for teaser in page.articles
    )
    summary = snapshot_summary_message(
        snapshot_id=snapshot_id,
        site=snapshot.site,
        source_url=snapshot.source_url,
        event_time=snapshot.fetched_at,
        ticker_rows=len(by_pair),
        ticker_repeats=page.ticker_repeats,
        articles=len(sightings),
        listing_date=page.listing_date,
        pagination=page.pagination,
        heading=page.heading,
        warnings=(*page.warnings, *drift),
        size=len(snapshot.body),
        lines=page.lines,
        dropped_lines=page.dropped_lines,
    )
    return SnapshotReading(tuple(by_pair.values()), sightings, summary)
