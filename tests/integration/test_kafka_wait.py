"""Long-running processes wait for a Kafka that does not answer yet: a log line per attempt with capped
backoff, /healthz alive and /readyz 503 meanwhile, and exit code 3 once PAGEWIRE_KAFKA_START_WAIT passes.
A worker started before its broker answers goes on once it does (here: a loopback proxy to the test
broker, opened late)."""

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from services.common.catalog import load_catalog
from services.common.settings import Settings
from tests.support.processes import PagewireProcess
from tests.support.worker import Worker, of_site, read_outputs, record, sample, send


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def waiting_answer(process: PagewireProcess, offset: int, timeout: float = 30.0) -> httpx.Response:
    """The first /readyz answer of the process launched at `offset` that says it waits for Kafka; its
    /healthz says alive at the same time."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            process.url = process.url_from_log(offset) or ""
            if process.url:
                with contextlib.suppress(httpx.TransportError):
                    answer = await client.get(process.url + "/readyz")
                    if "not reachable" in answer.text:
                        assert (await client.get(process.url + "/healthz")).json() == {"alive": True}
                        return answer
            await asyncio.sleep(0.1)
    raise AssertionError(f"{process.name} never said it waits for Kafka:\n{process.tail()}")


@contextlib.asynccontextmanager
async def proxy(port: int, target: tuple[str, int]) -> AsyncIterator[None]:
    """A TCP proxy on 127.0.0.1:`port` to `target`: the broker, reachable at a second address from now on."""

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*target)
        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))

    server = await asyncio.start_server(connect, "127.0.0.1", port)
    try:
        yield
    finally:
        server.close()


@pytest.mark.parametrize("command", [("worker",), ("sink", "storage")])
async def test_a_process_gives_up_on_kafka_after_the_start_wait_with_exit_3(
    command: tuple[str, ...], test_env: dict[str, str], tmp_path: Path
) -> None:
    dead = f"127.0.0.1:{free_port()}"
    env = {
        **test_env,
        "PAGEWIRE_KAFKA_BOOTSTRAP": dead,
        "PAGEWIRE_KAFKA_START_WAIT": "4",
        "PAGEWIRE_WORKER_STORE": "memory",
    }
    process = PagewireProcess(command, env, tmp_path / "process.log")
    offset = await process.launch()
    answer = await waiting_answer(process, offset)
    assert answer.status_code == 503
    assert answer.json()["conditions"]["kafka"] is False
    assert process.process is not None
    code = await asyncio.wait_for(process.process.wait(), 30)
    lines = process.tail().splitlines()
    assert code == 3, process.tail()
    assert lines[-1].startswith(f"Error: no Kafka broker answered at {dead} within 4s: ")
    assert sum('"event":"kafka not reachable"' in line for line in lines) >= 2  # one line per attempt


async def test_a_worker_started_before_kafka_answers_waits_and_then_works(
    kafka: Settings, test_env: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    host, broker_port = kafka.kafka.bootstrap.split(",")[0].rsplit(":", 1)
    worker = Worker({**test_env, "PAGEWIRE_KAFKA_BOOTSTRAP": f"127.0.0.1:{port}"}, tmp_path / "worker.log")
    offset = await worker.launch()
    try:
        answer = await waiting_answer(worker, offset)
        assert answer.status_code == 503
        assert answer.json()["reason"].startswith(
            f"waiting for kafka (127.0.0.1:{port} not reachable, attempt "
        )
        await asyncio.sleep(3)  # still waiting (PAGEWIRE_KAFKA_START_WAIT is 0: forever), and alive
        assert worker.running

        waiting_at = worker.url
        async with proxy(port, (host, int(broker_port))):
            await worker.wait_ready(offset, timeout=90)
            assert worker.url == waiting_at  # one port throughout, even when asked for any free one (0)
            await send(kafka, [record(sample("waited.example", "replay/20250219T060000Z.txt"))])
            found = await read_outputs(
                kafka.kafka,
                load_catalog(kafka.kafka.topic_prefix),
                ["snapshots.parsed"],
                lambda outputs: len(of_site(outputs, "snapshots.parsed", "waited.example")) >= 1,
            )
            assert [item.value["site"] for item in of_site(found, "snapshots.parsed", "waited.example")] == [
                "waited.example"
            ]
            assert await worker.stop() == 0, worker.tail()
    finally:
        if worker.running:
            await worker.kill()


async def test_a_worker_stopped_while_it_waits_for_kafka_exits_0(
    test_env: dict[str, str], tmp_path: Path
) -> None:
    worker = Worker(
        {**test_env, "PAGEWIRE_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}"}, tmp_path / "worker.log"
    )
    offset = await worker.launch()
    await waiting_answer(worker, offset)
    assert await worker.stop(timeout=15) == 0, worker.tail()


async def test_a_polling_producer_gives_up_on_kafka_after_its_wait_with_exit_3(
    test_env: dict[str, str], tmp_path: Path
) -> None:
    """The producer waits PAGEWIRE_PRODUCER_BROKER_WAIT (a file replay is a one-shot command); polling,
    it is a service, and a Kafka that never answered ends it with exit 3 like the worker and the sinks."""
    dead = f"127.0.0.1:{free_port()}"
    env = {**test_env, "PAGEWIRE_KAFKA_BOOTSTRAP": dead, "PAGEWIRE_PRODUCER_BROKER_WAIT": "3"}
    page = f"http://127.0.0.1:{free_port()}/news"  # never fetched: nothing starts without Kafka
    process = PagewireProcess(
        ("produce", page, "--allow-private", "--interval", "60"), env, tmp_path / "p.log"
    )
    offset = await process.launch()
    answer = await waiting_answer(process, offset)
    assert (answer.status_code, answer.json()["conditions"]["kafka"]) == (503, False)
    assert process.process is not None
    assert await asyncio.wait_for(process.process.wait(), 30) == 3, process.tail()
    assert process.tail().splitlines()[-1].startswith(f"Error: no Kafka broker answered at {dead} within 3s")
