"""`pagewire produce URL` against a real local HTTP server and the real broker: ETag, 304, changed pages."""

import asyncio
import base64
import hashlib
import os
import signal
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import orjson
from aiohttp import web

from services.common import codec
from services.common.catalog import Catalog, load_catalog
from services.common.kafka import delete_topics, ensure_topics
from services.common.metrics import REGISTRY
from services.common.observe import Readiness
from services.common.settings import Settings
from services.domain.instants import parse_instant
from services.producer.http import Fetcher
from services.producer.runner import FIRST_ROUND, KAFKA, produce
from tests.conftest import REPO
from tests.support.kafka import Record, read_topic
from tests.support.page_server import CHANGED, FIRST, PageServer, etag_then_304_then_changed, page_server


def envelope(body: bytes, url: str, fetched_at: str) -> dict[str, object]:
    return {
        "schema": "pagewire.snapshot/1",
        "snapshot_id": hashlib.sha256(body).hexdigest(),
        "source_url": url,
        "site": "127.0.0.1",
        "fetched_at": fetched_at,
        "content_type": "text/html",
        "charset": "utf-8",
        "size": len(body),
        "body": base64.b64encode(body).decode(),
    }


async def from_server(settings: Settings, catalog: Catalog, url: str) -> list[Record]:
    """Records of this server only: every test's server has its own port, so its own source URL."""
    records = await read_topic(settings.kafka, catalog.name("snapshots.raw"), idle=1.0)
    return [record for record in records if dict(record.headers).get("pagewire-source-url") == url.encode()]


def counts(site: str) -> dict[str, float]:
    return {
        kind: REGISTRY.get_sample_value(f"pagewire_snapshots_{kind}_total", {"site": site}) or 0.0
        for kind in ("fetched", "sent", "unchanged")
    }


def instants() -> Iterator[datetime]:
    yield datetime(2025, 2, 19, 6, 0, tzinfo=UTC)
    yield datetime(2025, 2, 19, 6, 5, tzinfo=UTC)


async def test_a_page_is_sent_unchanged_pages_are_not_and_a_changed_page_is(
    kafka: Settings, catalog: Catalog
) -> None:
    settings = replace(kafka, producer=replace(kafka.producer, per_host_interval_seconds=0.0))
    clock = instants()
    stop = asyncio.Event()
    before = counts("127.0.0.1")
    async with page_server(etag_then_304_then_changed) as server:
        fetcher = Fetcher(settings.producer, allow_private=True, now=lambda: next(clock))
        try:
            running = asyncio.create_task(
                produce(settings, [server.url], interval=0.05, stop=stop, fetcher=fetcher)
            )
            await server.wait_for_requests(4)  # the 4th is held open: a fetch in flight when the stop comes
            stop.set()
            report = await asyncio.wait_for(running, timeout=30)
        finally:
            await fetcher.aclose()

    assert (report.sent, report.unchanged, report.failed) == (2, 1, 0)
    after = counts("127.0.0.1")
    assert {name: after[name] - before[name] for name in after} == {"fetched": 3, "sent": 2, "unchanged": 1}
    assert [headers.get("If-None-Match") for headers in server.requests] == [None, '"v1"', '"v1"', '"v2"']
    records = await from_server(kafka, catalog, server.url)
    assert [record.key for record in records] == [b"127.0.0.1", b"127.0.0.1"]
    assert [codec.decode(record.value, "pagewire.snapshot/1") for record in records] == [
        envelope(FIRST, server.url, "2025-02-19T06:00:00Z"),
        envelope(CHANGED, server.url, "2025-02-19T06:05:00Z"),
    ]


# a polling producer serves /metrics: on a free loopback port, never the shared default
OBSERVE_ANY_PORT = {"PAGEWIRE_OBSERVE_HOST": "127.0.0.1", "PAGEWIRE_OBSERVE_PRODUCER_PORT": "0"}


def pagewire() -> str:
    return str(Path(sys.executable).parent / "pagewire")


async def test_sigterm_stops_polling_cleanly(
    kafka: Settings, catalog: Catalog, test_env: dict[str, str]
) -> None:
    env = {**os.environ, **test_env, "PAGEWIRE_PRODUCER_PER_HOST_INTERVAL": "0", **OBSERVE_ANY_PORT}
    async with page_server(etag_then_304_then_changed) as server:
        process = await asyncio.create_subprocess_exec(
            pagewire(), "produce", server.url, "--interval", "0.2", "--allow-private",
            cwd=REPO, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            await server.wait_for_requests(4)
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)

    assert process.returncode == 0, stderr.decode()
    # polling is a service: its stderr is JSON log lines to the end
    last = orjson.loads(stderr.decode().splitlines()[-1])
    assert (last["event"], last["sent"], last["unchanged"], last["failed"]) == ("producer stopped", 2, 1, 0)
    records = await from_server(kafka, catalog, server.url)
    envelopes = [codec.decode(record.value, "pagewire.snapshot/1") for record in records]
    # a real clock stamped these: exact everywhere else, and in order in time
    times = [parse_instant(item.pop("fetched_at")) for item in envelopes]
    assert envelopes == [
        {key: value for key, value in envelope(body, server.url, "").items() if key != "fetched_at"}
        for body in (FIRST, CHANGED)
    ]
    assert times[0] < times[1] <= datetime.now(UTC)


async def always_500(request: web.Request, server: PageServer) -> web.StreamResponse:
    return web.Response(status=500, text="broken")


async def run_once(url: str, env: dict[str, str], *extra: str) -> tuple[int, str]:
    """The exit code, and stderr (the log lines) with stdout (the summary) after it."""
    process = await asyncio.create_subprocess_exec(
        pagewire(), "produce", url, "--once", *extra,
        cwd=REPO, env={**os.environ, **env}, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, stderr.decode() + stdout.decode()


async def test_a_page_that_cannot_be_fetched_makes_once_exit_1(
    kafka: Settings, test_env: dict[str, str]
) -> None:
    env = {**test_env, "PAGEWIRE_PRODUCER_RETRIES": "1", "PAGEWIRE_PRODUCER_BACKOFF_BASE": "0.01"}
    async with page_server(always_500) as server:
        code, stderr = await run_once(server.url, env, "--allow-private")

    assert code == 1, stderr
    assert f"{server.url}: HTTP 500 Internal Server Error" in stderr
    assert stderr.splitlines()[-1] == "sent 0, unchanged 0, failed 1"
    assert len(server.requests) == 2


async def test_a_loopback_url_is_refused_without_allow_private(
    kafka: Settings, test_env: dict[str, str]
) -> None:
    async with page_server(always_500) as server:
        code, stderr = await run_once(server.url, test_env)

    # refused before anything starts, as a source no retry can make work: exit 2, nothing fetched
    assert (code, stderr) == (
        2,
        "Error: refused 127.0.0.1: 127.0.0.1 is loopback; pass --allow-private "
        "(PAGEWIRE_PRODUCER_ALLOW_PRIVATE=true) to fetch from private networks\n",
    )
    assert server.requests == []


async def test_every_source_that_can_never_work_is_refused_at_start_polling_or_not(
    kafka: Settings, test_env: dict[str, str]
) -> None:
    async with page_server(always_500) as server:
        sources = ["ftp://news.example/", "http://", "https://news.example:99999/", "http://localhost/"]
        for extra in ([], ["--once"]):
            process = await asyncio.create_subprocess_exec(
                pagewire(), "produce", server.url, *sources, "--interval", "60", *extra,
                cwd=REPO, env={**os.environ, **test_env}, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
            assert (process.returncode, stderr.decode()) == (
                2,
                "Error: 5 problems:\n"
                "  refused 127.0.0.1: 127.0.0.1 is loopback; pass --allow-private "
                "(PAGEWIRE_PRODUCER_ALLOW_PRIVATE=true) to fetch from private networks\n"
                "  refused ftp://news.example/: only http and https are fetched, not 'ftp'\n"
                "  refused http://: the URL has no host\n"
                "  refused https://news.example/: malformed URL: Port out of range 0-65535\n"
                "  refused localhost: 127.0.0.1 is loopback; pass --allow-private "
                "(PAGEWIRE_PRODUCER_ALLOW_PRIVATE=true) to fetch from private networks\n",
            )
    assert server.requests == []


async def test_a_send_that_fails_is_reported_and_the_page_is_sent_on_the_next_poll(kafka: Settings) -> None:
    # a prefix whose topics do not exist yet (the broker never auto-creates): the first send cannot land
    prefix = f"pwtest-late-{uuid.uuid4().hex[:8]}."
    settings = replace(
        kafka,
        kafka=replace(kafka.kafka, topic_prefix=prefix),
        producer=replace(kafka.producer, per_host_interval_seconds=0.0, delivery_timeout_seconds=2.0),
    )
    late = load_catalog(prefix)
    topic_ready = asyncio.Event()

    async def same_page(request: web.Request, server: PageServer) -> web.StreamResponse:
        if len(server.requests) == 2:
            await topic_ready.wait()
        if len(server.requests) > 2:
            return await server.hold()
        return web.Response(body=FIRST, headers={"ETag": '"v1"'}, content_type="text/html", charset="utf-8")

    stop = asyncio.Event()
    try:
        async with page_server(same_page) as server:
            running = asyncio.create_task(
                produce(settings, [server.url], interval=0.05, allow_private=True, stop=stop)
            )
            await server.wait_for_requests(2)  # round 1, its failed send included, is over
            await ensure_topics(settings.kafka, late, only=[late.spec("snapshots.raw")])
            topic_ready.set()
            await server.wait_for_requests(3)
            stop.set()
            report = await asyncio.wait_for(running, timeout=30)
        records = await read_topic(settings.kafka, late.name("snapshots.raw"), idle=1.0)
    finally:
        await delete_topics(settings.kafka, [late.name("snapshots.raw")])

    assert (report.sent, report.unchanged, report.failed) == (1, 0, 1)
    assert report.errors == [
        f"Kafka did not acknowledge {server.url}: topic {late.name('snapshots.raw')} does not exist on "
        f"{settings.kafka.bootstrap} (create it with `pagewire topics create`)"
    ]
    # the failed body was not remembered, so the next poll asked unconditionally and sent it
    assert [headers.get("If-None-Match") for headers in server.requests[:3]] == [None, None, '"v1"']
    assert [base64.b64decode(codec.decode(r.value, "pagewire.snapshot/1")["body"]) for r in records] == [
        FIRST
    ]


async def eventually(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the condition never held")


async def test_a_polling_producer_is_ready_once_its_first_round_is_over_and_while_every_site_answers(
    kafka: Settings,
) -> None:
    """Two sites (127.0.0.1 and localhost, one server): the first round is held, then localhost's page is
    missing (404) until the test brings it back; /readyz and pagewire_source_failing follow each site."""
    settings = replace(kafka, producer=replace(kafka.producer, per_host_interval_seconds=0.0))
    readiness = Readiness(KAFKA, FIRST_ROUND)
    stop = asyncio.Event()
    back = asyncio.Event()

    async def held_then_missing(request: web.Request, server: PageServer) -> web.StreamResponse:
        await server.release.wait()
        if request.host.startswith("localhost") and not back.is_set():
            return web.Response(status=404)  # not retried within the round: the round ends with it
        return web.Response(body=FIRST + request.host.encode(), content_type="text/plain")

    def failing(site: str) -> float | None:
        return REGISTRY.get_sample_value("pagewire_source_failing", {"site": site})

    async with page_server(held_then_missing) as server:
        other = server.url.replace("127.0.0.1", "localhost")
        running = asyncio.create_task(
            produce(
                settings,
                [server.url, other],
                interval=0.05,
                allow_private=True,
                stop=stop,
                readiness=readiness,
            )
        )
        await server.wait_for_requests(2)  # both held: the first round is not over
        waiting = readiness()
        server.release.set()
        await eventually(lambda: readiness().conditions.get(FIRST_ROUND, False))
        missing = readiness()
        failing_while_missing = (failing("127.0.0.1"), failing("localhost"))
        back.set()
        await eventually(lambda: readiness().ready)
        failing_after = (failing("127.0.0.1"), failing("localhost"))
        stop.set()
        await asyncio.wait_for(running, timeout=30)

    assert (waiting.ready, waiting.reason) == (
        False,
        "waiting for first_round, source 127.0.0.1, source localhost",
    )
    assert (missing.ready, missing.reason) == (
        False,
        f"waiting for source localhost (last poll: {other}: HTTP 404 Not Found)",
    )
    assert failing_while_missing == (0.0, 1.0)
    assert failing_after == (0.0, 0.0)
    assert readiness().conditions == {
        KAFKA: False,  # the publisher stopped with the run
        FIRST_ROUND: True,
        "source 127.0.0.1": True,
        "source localhost": True,
    }
