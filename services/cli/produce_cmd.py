"""`pagewire produce SOURCE...`: URLs, saved pages and stdin as snapshots on snapshots.raw."""

import asyncio
import functools
import logging
import signal
import sys
from datetime import datetime

import click
import orjson

from services.cli.failures import config_failure, failure
from services.common.logging import configure_logging
from services.common.observe import Readiness, serve_observability
from services.common.settings import Settings
from services.domain.errors import PagewireError
from services.domain.instants import parse_instant
from services.domain.sources.urls import is_url
from services.producer.files import DEFAULT_SITE, LocalOptions
from services.producer.runner import FIRST_ROUND, KAFKA, ProduceReport, produce
from services.producer.sources import refused_sources
from services.producer.ssrf import AddressGuard

log = logging.getLogger(__name__)


def _instant(_: click.Context, __: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_instant(value)
    except PagewireError as exc:
        raise click.BadParameter(f"{exc}; e.g. 2025-02-19T06:00:00Z") from exc


def _site(_: click.Context, __: click.Parameter, value: str) -> str:
    site = value.strip().lower()
    if not site or len(site) > 253:
        raise click.BadParameter("a site is 1 to 253 characters, e.g. timesca.com")
    return site


@click.command("produce")
@click.argument("sources", nargs=-1, required=True)
@click.option(
    "--interval",
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds between polls of URL sources [default: PAGEWIRE_PRODUCER_INTERVAL, 300].",
)
@click.option("--once", is_flag=True, help="Fetch every URL once, then exit (non-zero if anything failed).")
@click.option(
    "--site",
    default=DEFAULT_SITE,
    show_default=True,
    callback=_site,
    help="Site (Kafka key) of files and stdin; URLs always use their host.",
)
@click.option(
    "--fetched-at",
    callback=_instant,
    help="Event time of files and stdin (RFC 3339 with an offset) instead of the name stamp, mtime or now.",
)
@click.option("--content-type", help="Media type of every snapshot, e.g. text/html, instead of detecting it.")
@click.option("--charset", help="Charset of every snapshot instead of the HTTP header's (none for files).")
@click.option(
    "--allow-private",
    is_flag=True,
    default=None,
    help="Fetch URLs on private, loopback and link-local addresses [PAGEWIRE_PRODUCER_ALLOW_PRIVATE].",
)
@click.option(
    "--json", "as_json", is_flag=True, help="One-shot runs: the summary as one JSON object (with the errors)."
)
@click.pass_obj
def command(
    settings: Settings,
    sources: tuple[str, ...],
    interval: float | None,
    once: bool,
    site: str,
    fetched_at: datetime | None,
    content_type: str | None,
    charset: str | None,
    allow_private: bool | None,
    as_json: bool,
) -> None:
    """Send snapshots of SOURCE... to Kafka: http(s) URLs, files, directories, globs, or - for stdin.

    Files (sorted by name within a directory or glob) and stdin are sent once; URLs are polled every
    --interval seconds until SIGINT/SIGTERM, or once with --once. A file's fetched_at is --fetched-at,
    else a leading UTC stamp in its name (20250219T060000Z-page.html), else its mtime. Unchanged pages
    (HTTP 304 or the same body) are not sent again. One-shot runs (files, stdin, --once) end with
    "sent N, unchanged N, failed N" on stdout (--json: an object), their log lines on stderr. Polling
    is a service: it serves /metrics, /healthz and /readyz on PAGEWIRE_OBSERVE_PRODUCER_PORT and ends
    with a "producer stopped" log event instead.
    """
    configure_logging(settings)
    options = LocalOptions(
        site=site, fetched_at=fetched_at, content_type=content_type and content_type.lower(), charset=charset
    )
    polling = not once and any(is_url(source) for source in sources)
    urls = [source for source in sources if is_url(source)]
    private = settings.producer.allow_private if allow_private is None else allow_private
    refused = asyncio.run(refused_sources(urls, AddressGuard(private)))
    if refused:
        # a source no retry can make work is refused before anything starts, not polled forever
        raise config_failure(refused)
    try:
        report = asyncio.run(_run(settings, sources, options, interval, polling, allow_private))
    except PagewireError as exc:
        raise failure(exc) from exc
    if polling:
        # a service's stderr is its log stream: JSON lines only
        counts = {"sent": report.sent, "unchanged": report.unchanged, "failed": report.failed}
        log.info("producer stopped", extra=counts)
        return
    # the result on stdout, the log lines on stderr: never mixed on one stream
    if as_json:
        counts = {"sent": report.sent, "unchanged": report.unchanged, "failed": report.failed}
        click.echo(orjson.dumps({**counts, "errors": report.errors}).decode())
    else:
        click.echo(report.summary())
    if report.failed:
        sys.exit(1)


async def _run(
    settings: Settings,
    sources: tuple[str, ...],
    options: LocalOptions,
    interval: float | None,
    polling: bool,
    allow_private: bool | None,
) -> ProduceReport:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        # a stop signal ends polling; what was already read is still delivered before exit
        loop.add_signal_handler(signum, stop.set)
    run = functools.partial(
        produce,
        settings,
        sources,
        options=options,
        once=not polling,
        interval=interval,
        allow_private=allow_private,
        stop=stop,
        progress=sys.stderr.isatty(),
    )
    try:
        if not polling:
            # a one-shot run ends before a scraper would see it: nothing to serve
            return await run()
        readiness = Readiness(
            KAFKA, FIRST_ROUND
        )  # and a condition per polled site (services.producer.runner)
        observe = settings.observability
        async with serve_observability(observe, observe.producer_port, ready=readiness):
            return await run(readiness=readiness)
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
