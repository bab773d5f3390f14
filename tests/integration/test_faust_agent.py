"""A Faust agent built on pagewire's app factory runs as a real worker against the real broker."""

import asyncio
import os
import signal
import sys

from aiokafka.admin import NewTopic

from services.common.kafka import admin
from services.common.settings import Settings
from tests.conftest import REPO
from tests.support.kafka import read_topic, send


async def test_a_faust_worker_reads_one_topic_and_writes_another(
    kafka: Settings, test_env: dict[str, str]
) -> None:
    prefix = kafka.kafka.topic_prefix
    client = admin(kafka.kafka)
    await client.start()
    try:
        await client.create_topics([NewTopic(prefix + "echo.in", 2, 1), NewTopic(prefix + "echo.out", 2, 1)])
    finally:
        await client.close()
    worker = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.support.faust_echo", "worker", "--loglevel", "warn", "--without-web",
        cwd=REPO,
        env={**os.environ, **test_env, "PAGEWIRE_WORKER_STORE": "memory"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        await send(kafka.kafka, prefix + "echo.in", [(b"timesca.com", b"kgs/usd = 0.01144")])
        records = await read_topic(kafka.kafka, prefix + "echo.out", expect=1, timeout=60)
    finally:
        if worker.returncode is None:
            worker.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(worker.communicate(), timeout=60)

    assert [(record.key, record.value) for record in records] == [(b"timesca.com", b"KGS/USD = 0.01144")], (
        output.decode(errors="replace")[-3000:]
    )
    assert worker.returncode == 0, output.decode(errors="replace")[-3000:]
