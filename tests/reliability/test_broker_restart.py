"""A broker killed -9 and restarted mid-replay: producers, worker and sinks reconnect, nothing is lost."""

# The broker is a private one (services/localkafka under a temporary PAGEWIRE_HOME, on free ports, running
# the jars the shared broker's home already downloaded): the shared broker at localhost:9092 is never touched.

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import orjson
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from services.common.kafka import message_counts
from services.common.settings import LocalKafkaSettings, Settings
from services.localkafka.broker import LocalKafka
from tests.reliability.conftest import Figures
from tests.reliability.runs import RunResult, assert_same, databases, differences
from tests.support.page_server import PageServer, page_server
from tests.support.pipeline import CHATS, pipeline
from tests.support.processes import PAGEWIRE, PagewireProcess
from tests.support.receiver import receiver, unused_port
from tests.support.replay import Page, build_replay
from tests.support.worker import OwnTopics, Worker, own_topics, read_outputs, record, sample, send

REPLAY_SEED = 3  # the pages; the fault is the same every run: a kill -9 once a quarter is on Kafka
# The production session timeout (PAGEWIRE_WORKER_SESSION_TIMEOUT, 30 s by default), set here well above the
# outage: the worker's group membership outlives the broker's restart, as in production. With the fault
# suite's 6 s (FAST_TAKEOVER, for kill tests) the member expired while the broker was down (about 16 s
# here), its commit in flight failed with UnknownMemberId, the group rebalanced while that commit was
# still finishing, and in one run of three faust-streaming then neither consumed nor committed the last
# offsets of snapshots.raw again (the test's settle timed out after 180 s); see docs/reliability.md, Limits.
# A restart after kill -9 recovers every log of the broker (unclean) and starts a JVM: 10-20 s here, 35 s
# once on a CI machine busy with the other test process. So the outage may last up to half this, and the
# producers wait as long for acknowledgements (PAGEWIRE_PRODUCER_DELIVERY_TIMEOUT, 30 s by default).
SESSION_TIMEOUT = 120


@pytest.fixture(scope="module")
async def broker(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LocalKafka]:
    shared = LocalKafka(Settings.load(dict(os.environ)).local_kafka)
    private = LocalKafka(
        LocalKafkaSettings(
            home=tmp_path_factory.mktemp("private-broker"),
            port=unused_port(),
            controller_port=unused_port(),
            heap="512m",
            jars=shared.libs,
        )
    )
    await asyncio.to_thread(private.up)
    try:
        yield private
    finally:
        await asyncio.to_thread(private.down)


async def kill_9(broker: LocalKafka) -> None:
    pid = broker.status().pid
    assert pid is not None, "the private broker is not running"
    os.kill(pid, signal.SIGKILL)
    for _ in range(300):
        if not broker.status().running:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"the private broker (pid {pid}) outlived SIGKILL")


def write_waves(folder: Path, pages: Sequence[Page]) -> list[list[Path]]:
    """Each site's pages as saved files in a folder of its own; all sites but the last in the first wave.

    One producer per site keeps each site's order the same in every run. Both runs read the same files,
    so the file:// source URLs (and so every output) are the same too.
    """
    sites = sorted({page.site for page in pages})
    for site in sites:
        (folder / site).mkdir(parents=True)
    for page in pages:
        (folder / page.site / page.file_name).write_bytes(page.body)
    return [[folder / site for site in sites[:-1]], [folder / sites[-1]]]


async def on_kafka(settings: Settings, topic: str, count: int) -> None:
    """Return once `topic` holds `count` messages."""
    for _ in range(1200):
        if (await message_counts(settings.kafka, [topic]))[topic] >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{topic} never reached {count} messages")


async def produce(env: dict[str, str], folder: Path) -> asyncio.subprocess.Process:
    """`pagewire produce DIR --site SITE`: the saved pages, sent in name (fetch time) order."""
    return await asyncio.create_subprocess_exec(
        PAGEWIRE, "produce", str(folder), "--site", folder.name,
        env={
            **os.environ,
            **env,
            "PAGEWIRE_PRODUCER_BROKER_WAIT": str(SESSION_TIMEOUT),
            "PAGEWIRE_PRODUCER_DELIVERY_TIMEOUT": str(SESSION_TIMEOUT),
        },
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def replay(
    env: dict[str, str], folder: Path, waves: list[list[Path]], pages: int, broker: LocalKafka | None = None
) -> RunResult:
    """Two waves of producers, one per site; with `broker`, it is killed once a quarter of the pages is
    on Kafka (the first wave sending), the second wave starts while it is down, and it is back 3s later."""
    env = {**env, "PAGEWIRE_WORKER_SESSION_TIMEOUT": str(SESSION_TIMEOUT)}
    async with (
        receiver() as chat,
        databases(folder, ("sqlite",)) as targets,
        pipeline(env, folder, chat, targets, takeover={}) as run,
    ):
        producers = [await produce(run.env, site) for site in waves[0]]
        if broker is not None:
            await on_kafka(run.settings, run.catalog.name("snapshots.raw"), pages // 4)
            await kill_9(broker)
        producers += [await produce(run.env, site) for site in waves[1]]
        if broker is not None:
            down_since = time.monotonic()
            await asyncio.sleep(3)
            await asyncio.to_thread(broker.up)
            down = time.monotonic() - down_since
            run.kills.append((pages // 4, "broker"))
            # the precondition of this test, checked rather than hoped for
            assert down < SESSION_TIMEOUT / 2, f"the broker took {down:.0f}s to come back"
        for producer in producers:
            out, err = await asyncio.wait_for(producer.communicate(), 120)
            assert producer.returncode == 0, err.decode()
            assert out.decode().strip().endswith("failed 0"), out.decode() + err.decode()
        await run.settle()
        for name, process in run.processes().items():
            assert process.running, f"{name} did not survive the broker restart:\n{process.tail()}"
        return RunResult(
            await run.topics(),
            await run.tables(),
            {destination.path: chat.on(destination.path) for destination in CHATS.values()},
            run.env["PAGEWIRE_TOPIC_PREFIX"],
        )


@pytest.mark.timeout(600)
async def test_a_broker_killed_mid_replay_and_restarted_loses_nothing(
    broker: LocalKafka, test_env: dict[str, str], tmp_path: Path, figures: Figures
) -> None:
    pages = build_replay(REPLAY_SEED, sites=3, per_site=40, poison=False).pages
    waves = await asyncio.to_thread(write_waves, tmp_path / "pages", pages)

    # the clean run on the shared broker: the private one then holds only the faulted run's logs, the
    # fewer to recover when it restarts
    reference = await replay(test_env, tmp_path / "reference", waves, len(pages))
    private = {**test_env, "PAGEWIRE_KAFKA_BOOTSTRAP": broker.bootstrap}
    faulted = await replay(private, tmp_path / "faulted", waves, len(pages), broker)

    found = differences(reference, faulted)
    figures.record(found)
    figures.kill_points.append(f"broker (kill -9, private, {broker.bootstrap}) after {len(pages) // 4} pages")
    figures.notes.append(f"broker restart: {len(pages)} pages from 3 `pagewire produce` runs, one per site")
    # every page reached Kafka (a produce request retried across the restart may be written twice)
    assert set(faulted.topics["snapshots.raw"]) == set(reference.topics["snapshots.raw"])
    assert_same(found)


STOP_TIMEOUT = 4  # PAGEWIRE_WORKER_STOP_TIMEOUT for the test below


async def on_private_broker(
    broker: LocalKafka, test_env: dict[str, str], name: str
) -> tuple[OwnTopics, dict[str, str]]:
    """Topics of a test's own on the private broker (started again: the test before may have killed it),
    and the environment of a process that reaches them."""
    await asyncio.to_thread(broker.up)
    own = await own_topics(Settings.load({**test_env, "PAGEWIRE_KAFKA_BOOTSTRAP": broker.bootstrap}), name)
    return own, {**test_env, **own.env, "PAGEWIRE_KAFKA_BOOTSTRAP": broker.bootstrap}


@pytest.mark.timeout(300)
async def test_a_worker_whose_broker_is_gone_exits_4_once_its_stop_timeout_passes(
    broker: LocalKafka, test_env: dict[str, str], tmp_path: Path
) -> None:
    """SIGTERM while every broker is down: the stop cannot commit or flush, and used to wait for the
    brokers as long as they stayed away; it gives up after PAGEWIRE_WORKER_STOP_TIMEOUT, and says so."""
    own, env = await on_private_broker(broker, test_env, "stop")
    worker = Worker({**env, "PAGEWIRE_WORKER_STOP_TIMEOUT": str(STOP_TIMEOUT)}, tmp_path / "worker.log")
    try:
        await worker.start()
        page = sample("stop.example", "replay/20250219T060000Z.txt")
        await send(own.settings, [record(page)])
        parsed = await read_outputs(own.settings.kafka, own.catalog, ["snapshots.parsed"], bool)
        assert [output.value["site"] for output in parsed] == ["stop.example"]

        await kill_9(broker)
        asked = time.monotonic()
        code = await worker.stop(timeout=STOP_TIMEOUT + 60)
        took = time.monotonic() - asked
    finally:
        await worker.kill()  # gone already, unless the test failed

    assert code == 4, worker.tail()
    assert STOP_TIMEOUT <= took < STOP_TIMEOUT + 10, f"exited {took:.1f}s after SIGTERM"
    entries = [orjson.loads(line) for line in worker.log.read_bytes().splitlines() if line.startswith(b"{")]
    (line,) = [entry for entry in entries if entry["event"] == "worker stop timed out"]
    assert line["level"] == "error"
    assert line["timeout_seconds"] == STOP_TIMEOUT
    await asyncio.to_thread(broker.up)  # up again, so the fixture's stop reaps the process it started


async def sigterm(process: PagewireProcess) -> float:
    """SIGTERM a process whose broker is gone; it must exit 0 and log no traceback. How long it took."""
    asked = time.monotonic()
    code = await process.stop(timeout=60)
    took = time.monotonic() - asked
    assert code == 0 and "Traceback" not in process.log.read_text(), process.tail()
    return took


@pytest.mark.timeout(300)
@pytest.mark.parametrize("command", [("sink", "storage"), ("sink", "alerts")], ids=["storage", "alerts"])
async def test_a_sink_whose_broker_is_gone_stops_on_sigterm_with_exit_0(
    command: tuple[str, ...], broker: LocalKafka, test_env: dict[str, str], tmp_path: Path
) -> None:
    """SIGTERM while every broker is down: the sink closes its clients, logs no traceback and exits 0
    (its offsets stay where they were: what it held is read again at the next start)."""
    _, env = await on_private_broker(broker, test_env, f"stop-{command[-1]}")
    destinations = tmp_path / "destinations.yaml"
    destinations.write_text("destinations:\n  ops:\n    kind: slack\n    url_env: OPS_URL\n")
    env = {
        **env,
        "PAGEWIRE_ALERT_DESTINATIONS": str(destinations),
        "OPS_URL": f"http://127.0.0.1:{unused_port()}/hook",
    }
    process = PagewireProcess(command, env, tmp_path / "sink.log")
    try:
        await process.start()
        await kill_9(broker)
        await asyncio.sleep(2)  # its consumer notices: fetches fail and wait out their backoff
        took = await sigterm(process)
    finally:
        await process.kill()  # gone already, unless the test failed
    assert took < 20, f"exited {took:.1f}s after SIGTERM"
    await asyncio.to_thread(broker.up)


DELIVERY_TIMEOUT = 3  # PAGEWIRE_PRODUCER_DELIVERY_TIMEOUT for the test below
RUNNER = "services.producer.runner"  # the logger of a failed send


async def a_new_page_each_time(request: web.Request, server: PageServer) -> web.StreamResponse:
    body = f"KGS/USD = 0.01144 0%\nPoll {len(server.requests)}\n".encode()
    return web.Response(body=body, content_type="text/plain", charset="utf-8")


@pytest.mark.timeout(300)
async def test_a_polling_producer_whose_broker_is_gone_fails_its_sends_and_stops_on_sigterm(
    broker: LocalKafka, test_env: dict[str, str], tmp_path: Path
) -> None:
    """Pages keep changing while every broker is down: each send is reported failed once
    PAGEWIRE_PRODUCER_DELIVERY_TIMEOUT passes (aiokafka's idempotent producer would retry it for as long as
    the broker stays away), and SIGTERM stops the producer, exit 0, without waiting for the broker."""
    own, env = await on_private_broker(broker, test_env, "stop-producer")
    raw = own.catalog.name("snapshots.raw")
    async with page_server(a_new_page_each_time, path="/news") as server:
        process = PagewireProcess(
            ("produce", server.url, "--interval", "0.5", "--allow-private"),
            {**env, "PAGEWIRE_PRODUCER_DELIVERY_TIMEOUT": str(DELIVERY_TIMEOUT)},
            tmp_path / "producer.log",
        )
        try:
            await process.start()
            await on_kafka(own.settings, raw, 1)  # a page sent and acknowledged
            await kill_9(broker)
            polled = len(server.requests)
            # polls go on, each a changed page whose send waits for a broker that is gone
            await server.wait_for_requests(polled + 2 * DELIVERY_TIMEOUT)
            readiness = await process.get("/readyz")
            metrics = await process.metrics()
            took = await sigterm(process)
        finally:
            await process.kill()  # gone already, unless the test failed
    assert took < DELIVERY_TIMEOUT + 10, f"exited {took:.1f}s after SIGTERM"
    entries = [orjson.loads(line) for line in process.log.read_text().splitlines() if line.startswith("{")]
    failures = [entry for entry in entries if entry["level"] == "error" and entry["logger"] == RUNNER]
    assert failures, process.tail()
    reason = f"within {DELIVERY_TIMEOUT}s (PAGEWIRE_PRODUCER_DELIVERY_TIMEOUT)"
    assert {entry["event"] for entry in failures} == {f"Kafka did not acknowledge {server.url} {reason}"}
    (stopped,) = [entry for entry in entries if entry["event"] == "producer stopped"]
    assert stopped["sent"] >= 1 and stopped["failed"] == len(failures)
    # while the broker was away: not ready on kafka, and the failures counted by reason
    assert readiness.status_code == 503 and "kafka" in readiness.text, readiness.text
    failed = {
        sample.labels["reason"]: sample.value
        for family in text_string_to_metric_families(metrics)
        for sample in family.samples
        if sample.name == "pagewire_snapshots_failed_total" and sample.labels["site"] == "127.0.0.1"
    }
    assert list(failed) == ["broker_unavailable"] and failed["broker_unavailable"] >= 1, metrics
    await asyncio.to_thread(broker.up)
