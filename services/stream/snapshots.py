"""The snapshot agent's body: decode, parse, ticker dedupe and deltas, alert rules, articles, summary."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from prometheus_client import Counter, Gauge

from services.common import codec
from services.common.metrics import (
    ARTICLE_REVISIONS,
    ARTICLES,
    DELTAS,
    LAST_ARRIVAL,
    LAST_OBSERVATION,
    LATE_OBSERVATIONS,
    MESSAGES_CONSUMED,
    PAGE_TEASERS,
    PARSE_DROPPED_LINES,
    PARSE_LINES,
    STAGE_SECONDS,
    TICKER_ROWS_SEEN,
    TICKER_ROWS_UNIQUE,
)
from services.domain.alerts.alert import AlertEvent
from services.domain.articles.revisions import ArticleSighting, observe_article
from services.domain.articles.taxonomy import Taxonomy
from services.domain.errors import SchemaError
from services.domain.messages import (
    article_message,
    rate_delta_message,
    staleness_message,
    ticker_row_message,
)
from services.domain.page.drift import remember, teaser_drift
from services.domain.page.model import ParsedPage
from services.domain.page.parse import parse_page
from services.domain.page.reading import read_snapshot
from services.domain.page.snapshot import Snapshot, snapshot_from_envelope
from services.domain.schema_ids import SNAPSHOT
from services.domain.ticker.dedupe import ObservationKind, observe_ticker
from services.domain.ticker.rows import TickerObservation
from services.domain.ticker.rules import StreamRules
from services.stream.alerting import AlertStage
from services.stream.clocks import SiteClocks
from services.stream.deadletters import DeadLetters, RawRecord
from services.stream.outputs import Origin, Outputs
from services.stream.staleness import StalePairs
from services.stream.tables import SiteEntry, Tables

STAGES = ("decode", "parse", "ticker", "alerts", "articles", "staleness")


@dataclass(frozen=True)
class PairMetrics:
    """One (site, pair)'s children of the ticker metrics."""

    seen: Counter
    unique: Counter
    late: Counter
    deltas: Counter
    last_observation: Gauge


@dataclass(frozen=True)
class PageMetrics:
    """One site's children of the parse metrics."""

    lines: Counter
    dropped_lines: Counter
    teasers: Gauge


class SnapshotStage:
    """Processes one snapshots.raw record to the end, synchronously: no await between reading a table
    key and writing it back, so the staleness agent never interleaves with half an update."""

    def __init__(
        self,
        *,
        rules: StreamRules,
        taxonomy: Taxonomy,
        tables: Tables,
        outputs: Outputs,
        alerts: AlertStage,
        clocks: SiteClocks,
        stale_pairs: StalePairs,
        deadletters: DeadLetters,
        max_body_bytes: int,
    ) -> None:
        self._rules = rules
        self._taxonomy = taxonomy
        self._tables = tables
        self._outputs = outputs
        self._alerts = alerts
        self._clocks = clocks
        self._stale_pairs = stale_pairs
        self._deadletters = deadletters
        # the producers' cap (PAGEWIRE_PRODUCER_MAX_BODY_BYTES): a larger body on snapshots.raw came from
        # some other writer, and is refused here as the producer would have refused it
        self._max_body_bytes = max_body_bytes
        self._stage_seconds = {stage: STAGE_SECONDS.labels(stage=stage) for stage in STAGES}
        self._pair_metrics: dict[tuple[str, str], PairMetrics] = {}
        self._arrivals: dict[tuple[str, str], Gauge] = {}
        self._page_metrics: dict[str, PageMetrics] = {}
        self._current = "decode"

    def handle(self, record: RawRecord) -> None:
        """Never raises: whatever fails is dead-lettered with the stage it failed in."""
        MESSAGES_CONSUMED.labels(topic=record.topic).inc()
        try:
            with self._stage("decode"):
                snapshot = decode_snapshot(record)
            origin = Origin.of(snapshot.fetched_at, record.timestamp)
            replayed = self._clocks.saw(
                snapshot.site, record.partition, snapshot.fetched_at, replayed=origin.replay
            )
            with self._stage("parse"):
                body, kind, charset = snapshot.body, snapshot.content_type, snapshot.charset
                page = parse_page(body, kind, charset, max_bytes=self._max_body_bytes)
                site = self._tables.site(snapshot.site)
                recent = () if site is None else site.teasers
                drift = teaser_drift(recent, len(page.articles), has_ticker=bool(page.ticker))
                reading = read_snapshot(snapshot, page, () if drift is None else (drift,))
            self._count_page(snapshot.site, page)
            pairs = {row.pair for row in reading.observations}
            teasers = remember(recent, len(page.articles))
            self._register(
                snapshot.site, site, SiteEntry(record.partition, tuple(sorted(pairs)), teasers, replayed)
            )
            with self._stage("ticker"):
                events = self._tickers(reading.observations, origin)
            with self._stage("alerts"):
                self._alerts.run(events, origin)
            with self._stage("articles"):
                self._articles(reading.sightings, origin)
            self._outputs.emit("snapshots.parsed", snapshot.site, reading.summary, origin)
        except Exception as exc:
            # one bad snapshot, or one bug on one snapshot, must not stop the partition behind it
            self._deadletters.send(record, self._current, exc)

    @contextmanager
    def _stage(self, stage: str) -> Iterator[None]:
        self._current = stage
        started = time.perf_counter()
        yield
        self._stage_seconds[stage].observe(time.perf_counter() - started)

    def _tickers(self, observations: tuple[TickerObservation, ...], origin: Origin) -> list[AlertEvent]:
        """Each distinct row through its (site, pair) state; returns the events the alert rules read."""
        events: list[AlertEvent] = []
        arrived = time.time()
        for row in observations:
            state = self._tables.ticker(row.key)
            outcome = observe_ticker(state, row, self._rules)
            if outcome.state != state:
                self._tables.set_ticker(row.key, outcome.state)
            metrics = self._metrics_of(row.site, row.pair)
            metrics.seen.inc()
            metrics.last_observation.set(outcome.state.last_seen.timestamp())
            if not origin.replay:
                # what PagewireTickerStale watches: a replay of old pages neither trips nor feeds it (its
                # series is made by the first live arrival: a gauge at 0 would read as stale since 1970)
                self._arrival_of(row.site, row.pair).set(arrived)
            if outcome.kind is ObservationKind.LATE:
                metrics.late.inc()
            if outcome.row is not None:
                self._outputs.emit("ticker.rows", row.key, ticker_row_message(outcome.row), origin)
                metrics.unique.inc()
            if outcome.delta is not None:
                self._outputs.emit("rates.deltas", row.key, rate_delta_message(outcome.delta), origin)
                metrics.deltas.inc()
                events.append(outcome.delta)
            if outcome.recovered is not None:
                recovered = staleness_message(outcome.recovered)
                self._outputs.emit("ticker.staleness", row.key, recovered, origin)
                events.append(outcome.recovered)
                self._stale_pairs.recovered(row.site, row.pair)
        return events

    def _arrival_of(self, site: str, pair: str) -> Gauge:
        found = self._arrivals.get((site, pair))
        if found is None:
            found = self._arrivals[(site, pair)] = LAST_ARRIVAL.labels(site=site, pair=pair)
        return found

    def _metrics_of(self, site: str, pair: str) -> "PairMetrics":
        """The pair's metric children, looked up once rather than five times per observation."""
        found = self._pair_metrics.get((site, pair))
        if found is None:
            labels = {"site": site, "pair": pair}
            found = PairMetrics(
                seen=TICKER_ROWS_SEEN.labels(**labels),
                unique=TICKER_ROWS_UNIQUE.labels(**labels),
                late=LATE_OBSERVATIONS.labels(**labels),
                deltas=DELTAS.labels(**labels),
                last_observation=LAST_OBSERVATION.labels(**labels),
            )
            self._pair_metrics[(site, pair)] = found
        return found

    def _register(self, site: str, entry: SiteEntry | None, page: SiteEntry) -> None:
        """Record the site's partition, pairs and clock kind (for the staleness timer) and its recent teaser
        counts (for layout drift), as `page` saw them, writing only when one of them changed: a steady site
        is written once in a while."""
        updated = page if entry is None else entry.seen(page)
        if updated != entry:
            self._tables.set_site(site, updated)

    def _count_page(self, site: str, page: ParsedPage) -> None:
        """The per-site parse metrics: lines read and dropped, teasers of the last page."""
        metrics = self._page_metrics.get(site)
        if metrics is None:
            metrics = PageMetrics(
                PARSE_LINES.labels(site=site),
                PARSE_DROPPED_LINES.labels(site=site),
                PAGE_TEASERS.labels(site=site),
            )
            self._page_metrics[site] = metrics
        metrics.lines.inc(page.lines)
        metrics.dropped_lines.inc(page.dropped_lines)
        metrics.teasers.set(len(page.articles))

    def _articles(self, sightings: tuple[ArticleSighting, ...], origin: Origin) -> None:
        for sighting in sightings:
            article_id = sighting.article_id
            outcome = observe_article(self._tables.article(article_id), sighting)
            if outcome.revision is None:
                # a re-sighting moves only last_seen, which nothing reads: not worth a changelog write
                continue
            self._tables.set_article(article_id, outcome.state)
            labels = self._taxonomy.label(sighting.title, sighting.body)
            message = article_message(outcome.revision, labels)
            topics = self._outputs.article_topics(labels)
            self._outputs.emit_many(["articles", *topics], article_id, message, origin)
            counter = ARTICLES if outcome.revision.revision == 1 else ARTICLE_REVISIONS
            slugs = [label.slug for label in (*labels.countries, *labels.subjects)] or ["unclassified"]
            for slug in slugs:
                counter.labels(label=slug).inc()


def decode_snapshot(record: RawRecord) -> Snapshot:
    """The envelope, schema-checked, with its body; its site must be the record's key (the partitioning)."""
    snapshot = snapshot_from_envelope(codec.decode(record.value, SNAPSHOT))
    if record.key != snapshot.site.encode():
        raise SchemaError(
            f"record key {record.key!r} is not the envelope's site {snapshot.site!r}", reason="key_mismatch"
        )
    return snapshot
