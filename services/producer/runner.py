"""The produce loop: files and stdin once, URLs every interval, each snapshot delivered or reported failed."""

import asyncio
import contextlib
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from services.common.metrics import (
    SNAPSHOT_BYTES,
    SNAPSHOTS_FAILED,
    SNAPSHOTS_FETCHED,
    SNAPSHOTS_SENT,
    SNAPSHOTS_UNCHANGED,
    SOURCE_FAILING,
)
from services.common.observe import Readiness
from services.common.settings import Settings
from services.domain.errors import BrokerError, FetchError, PagewireError
from services.domain.page.snapshot import Snapshot
from services.domain.sources.fetching import Validators
from services.domain.sources.urls import display_url, is_url, site_from_url
from services.producer.files import DEFAULT_SITE, LocalOptions, expand_paths, read_file_snapshot
from services.producer.http import Fetcher
from services.producer.progress import replay_progress
from services.producer.publisher import Publisher
from services.producer.stdin import read_stdin_snapshot

log = logging.getLogger(__name__)

# deliveries in flight during a replay: enough to fill Kafka batches, few enough to bound memory
_IN_FLIGHT = 32
#: the conditions `produce(readiness=...)` sets for /readyz: publisher connected, first poll round done
KAFKA, FIRST_ROUND = "kafka", "first_round"


@dataclass
class ProduceReport:
    """What a produce run did: snapshots acknowledged by Kafka, skipped as unchanged, and failures."""

    sent: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def summary(self) -> str:
        return f"sent {self.sent}, unchanged {self.unchanged}, failed {self.failed}"


class _Run:
    """One run's state: the publisher, the URL validators and the deliveries still waiting for Kafka."""

    def __init__(
        self, settings: Settings, options: LocalOptions, publisher: Publisher, stop: asyncio.Event
    ) -> None:
        self.settings = settings
        self.options = options
        self.publisher = publisher
        self.stop = stop
        self.readiness: Readiness | None = None
        self.report = ProduceReport()
        self.validators: dict[str, Validators] = {}
        self._window = asyncio.Semaphore(_IN_FLIGHT)
        self._deliveries: set[asyncio.Task[None]] = set()

    def fail(self, site: str, error: PagewireError, cause: BaseException | None = None) -> None:
        """Count and log one failure (with `cause`'s traceback when it was not a pagewire error)."""
        self.report.failed += 1
        self.report.errors.append(str(error))
        SNAPSHOTS_FAILED.labels(site=site, reason=error.reason).inc()
        log.error("%s", error, exc_info=cause, extra={"site": site, "reason": error.reason})

    def undeliverable(self, error: PagewireError, paths: list[str], stdin: bool, urls: list[str]) -> None:
        """Kafka never answered: every source counts as failed once, under its own site, one error logged."""
        expansion = expand_paths(paths)
        local = len(expansion.files) + len(expansion.missing) + int(stdin)
        for site in [self.options.site] * local + [_site_label(url) for url in urls]:
            SNAPSHOTS_FAILED.labels(site=site, reason=error.reason).inc()
            self.report.failed += 1
        self.report.errors.append(str(error))
        log.error("%s", error)

    def fetched(self, snapshot: Snapshot) -> None:
        SNAPSHOTS_FETCHED.labels(site=snapshot.site).inc()
        SNAPSHOT_BYTES.labels(site=snapshot.site).observe(len(snapshot.body))

    async def send(
        self, snapshot: Snapshot, remember: tuple[str, Validators] | None = None
    ) -> asyncio.Task[None]:
        """Start delivering `snapshot`; the task counts the outcome even if its waiter is cancelled."""
        await self._window.acquire()
        task = asyncio.create_task(self._deliver(snapshot, remember))
        self._deliveries.add(task)
        task.add_done_callback(self._deliveries.discard)
        return task

    async def _deliver(self, snapshot: Snapshot, remember: tuple[str, Validators] | None) -> None:
        try:
            await self.publisher.publish(snapshot)
        except PagewireError as exc:
            self.fail(snapshot.site, exc)
            if isinstance(exc, BrokerError):
                self.ready(KAFKA, False)
            return
        finally:
            self._window.release()
        self.ready(KAFKA)
        self.report.sent += 1
        SNAPSHOTS_SENT.labels(site=snapshot.site).inc()
        if remember is not None:
            # only a delivered body becomes "the last fetch": a failed send is retried on the next poll
            self.validators[remember[0]] = remember[1]
        extra = {"site": snapshot.site, "snapshot_id": snapshot.snapshot_id, "bytes": len(snapshot.body)}
        log.debug("snapshot sent", extra=extra)

    def ready(self, condition: str, value: bool = True, detail: str = "") -> None:
        if self.readiness is not None:
            self.readiness.set(condition, value, detail)

    def polled(self, site: str, error: PagewireError | None = None) -> None:
        """A poll of one of `site`'s URLs worked (`error` None) or failed: its metric and /readyz say so."""
        SOURCE_FAILING.labels(site=site).set(0 if error is None else 1)
        self.ready(source_condition(site), error is None, "" if error is None else f"last poll: {error}")

    async def drain(self) -> None:
        """Wait for every delivery in flight (a stop signal does not drop what was already read)."""
        while self._deliveries:
            await asyncio.gather(*self._deliveries, return_exceptions=True)

    async def send_files(self, arguments: Sequence[str], progress: bool) -> None:
        expansion = expand_paths(arguments)
        for argument in expansion.missing:
            self.fail(
                self.options.site,
                FetchError(f"{argument}: no such file, directory or match", reason="not_found"),
            )
        cap = self.settings.producer.max_body_bytes
        with replay_progress(len(expansion.files), enabled=progress) as advance:
            for path in expansion.files:
                if self.stop.is_set():
                    log.warning("stopped before %s; the rest of the replay is not sent", path)
                    return
                await self._send_file(path, cap)
                advance()

    async def _send_file(self, path: Path, cap: int) -> None:
        try:
            snapshot = await asyncio.to_thread(read_file_snapshot, path, self.options, cap)
        except PagewireError as exc:
            self.fail(self.options.site, exc)
            return
        self.fetched(snapshot)
        await self.send(snapshot)

    async def send_stdin(self, stream: BinaryIO) -> None:
        cap = self.settings.producer.max_body_bytes
        try:
            snapshot = await asyncio.to_thread(
                read_stdin_snapshot, stream, self.options, cap, datetime.now(UTC)
            )
        except PagewireError as exc:
            self.fail(self.options.site, exc)
            return
        self.fetched(snapshot)
        await self.send(snapshot)

    async def poll(self, fetcher: Fetcher, urls: Sequence[str], interval: float, once: bool) -> None:
        """Poll every URL each `interval` seconds (one round with `once`) until `stop` is set."""
        by_site: dict[str, list[str]] = {}
        for url in urls:
            by_site.setdefault(_site_label(url), []).append(url)
        if self.readiness is not None:
            # one condition per site: not ready while a site's last poll failed, and /readyz says why
            self.readiness.add(*(source_condition(site) for site in by_site))
        loop = asyncio.get_running_loop()
        while not self.stop.is_set():
            started = loop.time()
            # sites in parallel, one site's URLs in order: their snapshots share a key and a partition
            round_: asyncio.Future[Any] = asyncio.gather(
                *(self._poll_site(fetcher, group) for group in by_site.values())
            )
            stopping: asyncio.Future[Any] = asyncio.ensure_future(self.stop.wait())
            await asyncio.wait({round_, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if not round_.done():
                round_.cancel()  # fetches are abandoned; deliveries already started are drained
            with contextlib.suppress(asyncio.CancelledError):
                await round_  # anything else a round raised surfaces here, never hidden
            # ready once every URL was tried, whatever came of it: a failing page is what the metrics are for
            self.ready(FIRST_ROUND)
            if once:
                return
            remaining = max(0.0, started + interval - loop.time())
            try:
                await asyncio.wait_for(self.stop.wait(), timeout=remaining)
            except TimeoutError:
                continue

    async def _poll_site(self, fetcher: Fetcher, urls: list[str]) -> None:
        failed: PagewireError | None = None
        for url in urls:
            failed = await self._poll_url(fetcher, url) or failed
        self.polled(_site_label(urls[0]), failed)

    async def _poll_url(self, fetcher: Fetcher, url: str) -> PagewireError | None:
        """Fetch and send one URL; the error when the fetch failed."""
        site = _site_label(url)
        try:
            outcome = await fetcher.fetch(url, self.validators.get(url))
        except PagewireError as exc:
            self.fail(site, exc)
            return exc
        except Exception as exc:
            # one odd page must not stop the polling of every other site: counted, logged with its trace
            unexpected = FetchError(f"{display_url(url)}: unexpected {exc!r}", reason="internal_error")
            self.fail(site, unexpected, cause=exc)
            return unexpected
        SNAPSHOTS_FETCHED.labels(site=site).inc()  # a 304 is a successful fetch too
        if outcome.snapshot is None:
            self.report.unchanged += 1
            SNAPSHOTS_UNCHANGED.labels(site=site).inc()
            if outcome.validators is not None:
                self.validators[url] = outcome.validators
            log.info("unchanged since the last fetch: %s", display_url(url))
            return None
        snapshot = replace(
            outcome.snapshot,
            content_type=self.options.content_type or outcome.snapshot.content_type,
            charset=self.options.charset or outcome.snapshot.charset,
        )
        SNAPSHOT_BYTES.labels(site=site).observe(len(snapshot.body))
        remember = (url, outcome.validators) if outcome.validators else None
        # shielded: a stop signal during the send must not lose the count of a snapshot Kafka gets anyway
        await asyncio.shield(await self.send(snapshot, remember))
        return None


def source_condition(site: str) -> str:
    """The /readyz condition of one polled site: holds while its last poll worked."""
    return f"source {site}"


def _site_label(url: str) -> str:
    try:
        return site_from_url(url)
    except PagewireError:
        return "unknown"


async def produce(
    settings: Settings,
    sources: Sequence[str],
    *,
    options: LocalOptions | None = None,
    once: bool = False,
    interval: float | None = None,
    allow_private: bool | None = None,
    stop: asyncio.Event | None = None,
    stdin: BinaryIO | None = None,
    progress: bool = False,
    fetcher: Fetcher | None = None,
    readiness: Readiness | None = None,
) -> ProduceReport:
    """Send every source's snapshots to snapshots.raw: paths and stdin once, then URLs until `stop`."""
    options = options or LocalOptions()
    stop = stop or asyncio.Event()
    urls = [source for source in sources if is_url(source)]
    paths = [source for source in sources if source != "-" and not is_url(source)]
    publisher = Publisher(settings)
    run = _Run(settings, options, publisher, stop)
    run.readiness = readiness
    try:
        await publisher.start(on_attempt=lambda failed: run.ready(KAFKA, False, failed))
    except PagewireError as exc:
        run.undeliverable(exc, paths, "-" in sources, urls)
        if urls and not once:
            raise  # a polling producer is a service: without Kafka it stops with the error (exit 3)
        return run.report
    run.ready(KAFKA)
    try:
        await run.send_files(paths, progress)
        if "-" in sources and not stop.is_set():
            await run.send_stdin(stdin or sys.stdin.buffer)
        if urls:
            own = fetcher or Fetcher(settings.producer, allow_private=allow_private)
            try:
                await run.poll(own, urls, interval or settings.producer.interval_seconds, once)
            finally:
                if fetcher is None:
                    await own.aclose()
        await run.drain()
    finally:
        run.ready(KAFKA, False)
        await publisher.stop()
    return run.report


async def replay_files(
    settings: Settings,
    paths: Sequence[str | Path],
    site: str = DEFAULT_SITE,
    *,
    fetched_at: datetime | None = None,
    content_type: str | None = None,
    charset: str | None = None,
    progress: bool = False,
) -> ProduceReport:
    """Replay saved pages (files, directories, globs) once, in name order: for the demo and others."""
    options = LocalOptions(site=site, fetched_at=fetched_at, content_type=content_type, charset=charset)
    return await produce(
        settings, [str(path) for path in paths], options=options, once=True, progress=progress
    )
