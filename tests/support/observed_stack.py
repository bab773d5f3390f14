"""The pipeline as real processes for the Prometheus end-to-end test, and what the test checks them with."""

import asyncio
import os
import subprocess
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from services.common.catalog import load_catalog
from services.common.kafka import ensure_topics
from services.common.settings import Settings
from tests.conftest import REPO
from tests.support.alert_sink import FAST, write_destinations
from tests.support.deploy import promtool
from tests.support.processes import PAGEWIRE, PagewireProcess
from tests.support.receiver import Receiver
from tests.support.worker import Worker, private_topics

WEBHOOK_PATH = "/hooks/ops-token-5e81"
WEBHOOK_SECRET = "prometheus-test-signing-secret-91c4"
DESTINATIONS = {"ops": {"kind": "webhook", "url_env": "PROM_OPS_URL", "secret_env": "PROM_OPS_SECRET"}}
QUICK = {
    **FAST,
    "PAGEWIRE_LAG_INTERVAL": "0.5",
    "PAGEWIRE_STALENESS_INTERVAL": "1",
    "PAGEWIRE_STORAGE_POLL_TIMEOUT": "0.2",
}


@dataclass
class Stack:
    """The four processes by Prometheus job name, and the environment the pipeline's ones share."""

    env: dict[str, str]
    jobs: dict[str, PagewireProcess]

    def target(self, job: str) -> str:
        return self.jobs[job].url.removeprefix("http://")


@asynccontextmanager
async def observed_stack(
    kafka: Settings, base_env: Mapping[str, str], workdir: Path, chat: Receiver, page_url: str
) -> AsyncIterator[Stack]:
    """Worker, storage sink and alert sink on fresh topics, and a producer polling `page_url` on topics of
    its own (so its snapshots do not change the pipeline's counts); all ready, stopped with SIGTERM after."""
    env = {**base_env, **QUICK, **await private_topics(kafka, "prom")}
    env["PAGEWIRE_DATABASE_URL"] = f"sqlite:///{workdir / 'pagewire.db'}"
    env["PAGEWIRE_ALERT_DESTINATIONS"] = str(write_destinations(workdir, DESTINATIONS))
    env.update(PROM_OPS_URL=chat.url(WEBHOOK_PATH), PROM_OPS_SECRET=WEBHOOK_SECRET)
    producer_env = {
        **base_env,
        "PAGEWIRE_TOPIC_PREFIX": await _snapshots_raw_only(kafka),
        "PAGEWIRE_PRODUCER_PER_HOST_INTERVAL": "0",
        # the page server holds its 4th request: it must stay in flight, not time out, until the end
        "PAGEWIRE_PRODUCER_READ_TIMEOUT": "300",
    }
    polling = ("produce", page_url, "--interval", "0.2", "--allow-private")
    jobs = {
        "pagewire-worker": Worker(env, workdir / "worker.log"),
        "pagewire-storage-sink": PagewireProcess(("sink", "storage"), env, workdir / "storage.log"),
        "pagewire-alert-sink": PagewireProcess(("sink", "alerts"), env, workdir / "alerts.log"),
        "pagewire-producer": PagewireProcess(polling, producer_env, workdir / "producer.log"),
    }
    async with AsyncExitStack() as stack:
        for process in jobs.values():
            stack.push_async_callback(_stopped, process)
        await asyncio.gather(*(process.start() for process in jobs.values()))
        yield Stack(env, jobs)


async def _stopped(process: PagewireProcess) -> None:
    if process.process is not None:
        code = await process.stop()
        assert code == 0, f"{process.name} exited with {code}:\n{process.tail()}"


async def replay(env: Mapping[str, str], folder: str, site: str) -> str:
    """`pagewire produce samples/<folder> --site <site>`, one shot; its summary line."""
    process = await asyncio.create_subprocess_exec(
        PAGEWIRE, "produce", str(REPO / "samples" / folder), "--site", site,
        cwd=REPO, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    summary, errors = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, errors.decode()[-3000:]
    return summary.decode().strip()  # stdout holds the summary alone; stderr the log lines


async def _snapshots_raw_only(kafka: Settings) -> str:
    """A prefix inside the session's (removed with it) holding only snapshots.raw: what a producer needs."""
    catalog = load_catalog(f"{kafka.kafka.topic_prefix}poll-{uuid.uuid4().hex[:4]}.")
    await ensure_topics(kafka.kafka, catalog, [catalog.spec("snapshots.raw")])
    return catalog.prefix


def check_metrics(text: str) -> str:
    """`promtool check metrics` on one /metrics answer; what it complained about (empty when nothing)."""
    result = subprocess.run(
        [promtool(), "check", "metrics"], input=text, capture_output=True, text=True, check=False
    )
    return "" if result.returncode == 0 else f"exit {result.returncode}: {result.stdout}{result.stderr}"


def listening_ports(pid: int) -> set[int]:
    """TCP ports the process `pid` listens on, from /proc: its socket inodes among the LISTEN sockets."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            link = os.readlink(fd)
        except OSError:
            continue  # closed meanwhile
        if link.startswith("socket:["):
            inodes.add(link[len("socket:[") : -1])
    ports = set()
    for table in ("tcp", "tcp6"):
        path = Path(f"/proc/{pid}/net/{table}")
        for line in path.read_text().splitlines()[1:] if path.exists() else []:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and inode in inodes:  # 0A: TCP_LISTEN
                ports.add(int(local.rsplit(":", 1)[1], 16))
    return ports
