"""The whole pipeline as real processes for fault tests: worker, storage sinks, alert sink, chat receiver."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from services.common.catalog import Catalog, load_catalog
from services.common.kafka import ensure_topics, read_to_end
from services.common.settings import Settings
from services.sinks.storage.connect import open_database
from services.sinks.storage.database import Database
from tests.support.alert_sink import FAST, write_destinations
from tests.support.consumer_groups import wait_caught_up
from tests.support.databases import Target
from tests.support.processes import PagewireProcess
from tests.support.receiver import Receiver
from tests.support.storage import dump, stored_messages
from tests.support.worker import Worker

#: the topics the storage sink stores, from the catalog
STORED_TOPICS = load_catalog().stored

_Read = TypeVar("_Read")
WEBHOOK_PATH = "/hooks/ops-token-7f3a"
SLACK_PATH = "/services/T07/B07/slack-token-9c2e"
WEBHOOK_SECRET = "webhook-signing-secret-4d1b"


@dataclass(frozen=True)
class Chat:
    """One alert destination: its kind, its path on the local receiver (the URL's token), its secret."""

    kind: str
    path: str
    secret: str | None = None


CHATS = {"ops": Chat("webhook", WEBHOOK_PATH, WEBHOOK_SECRET), "team": Chat("slack", SLACK_PATH)}
# Faust reads these itself: a SIGKILLed worker's partitions move to its successor after 6s, not 60s
FAST_TAKEOVER = {"BROKER_SESSION_TIMEOUT": "6", "BROKER_HEARTBEAT_INTERVAL": "1"}
FAST_STORAGE = {
    "PAGEWIRE_STORAGE_BACKOFF_BASE": "0.05",
    "PAGEWIRE_STORAGE_BACKOFF_MAX": "0.5",
    "PAGEWIRE_STORAGE_CONNECT_TIMEOUT": "1",
    "PAGEWIRE_STORAGE_POLL_TIMEOUT": "0.2",
}


@dataclass
class Pipeline:
    """The processes of one run under one topic prefix; each can be killed and started again."""

    env: dict[str, str]
    worker: Worker
    storage: dict[str, PagewireProcess]  # by dialect
    alerts: PagewireProcess
    receiver: Receiver
    databases: dict[str, Target]
    chats: Mapping[str, Chat]
    kills: list[tuple[int, str]] = field(default_factory=list)
    # more instances in the same groups, by name ("worker 2", "storage sink (postgresql) 2", "alert sink 2")
    extra: dict[str, PagewireProcess] = field(default_factory=dict)
    folder: Path | None = None
    # how many workers were ever made, so a new one never takes a killed one's name or state folder
    workers_made: int = 1

    @property
    def settings(self) -> Settings:
        return Settings.load(self.env)

    @property
    def catalog(self) -> Catalog:
        return load_catalog(self.env["PAGEWIRE_TOPIC_PREFIX"])

    def processes(self) -> dict[str, PagewireProcess]:
        named = {"worker": self.worker, "alert sink": self.alerts}
        named |= {f"storage sink ({dialect})": sink for dialect, sink in self.storage.items()}
        return named | self.extra

    def workers(self) -> dict[str, Worker]:
        return {name: process for name, process in self.processes().items() if isinstance(process, Worker)}

    def new_worker(self) -> tuple[str, Worker]:
        """Another worker of the group (not started), with a state folder of its own."""
        assert self.folder is not None
        self.workers_made += 1
        number = self.workers_made
        name = f"worker {number}"
        worker = Worker(
            {**self.env, "PAGEWIRE_STATE_DIR": str(self.folder / f"state-{number}")},
            self.folder / f"{name}.log",
        )
        self.extra[name] = worker
        return name, worker

    def retire(self, name: str) -> None:
        """A process killed for good: no longer expected to run at the end."""
        process = self.processes()[name]
        assert not process.running, f"{name} still runs"
        if name in self.extra:
            del self.extra[name]
        elif name == "worker":
            # the first worker's slot goes to another live one (the run needs one to call `worker`)
            successor = next(other for other in self.extra if other.startswith("worker "))
            self.worker = cast(Worker, self.extra.pop(successor))
        else:
            raise AssertionError(f"{name} cannot be retired")

    async def kill_and_restart(self, name: str, sent: int) -> None:
        """SIGKILL one process mid-stream (recording when) and start a fresh one in its place."""
        process = self.processes()[name]
        await process.kill()
        self.kills.append((sent, name))
        await process.start()

    async def settle(self, timeout: float = 180.0) -> None:
        """Return once every stage committed everything upstream of it: worker, alert sink, storage.
        A stage that does not catch up fails with the last lines of every process's log."""
        kafka, catalog = self.settings.kafka, self.catalog
        prefix = self.env["PAGEWIRE_TOPIC_PREFIX"]
        groups = [(f"{prefix}worker", ["snapshots.raw"])]
        groups += [(f"{prefix}alerts-{destination}", ["alerts"]) for destination in self.chats]
        groups += [(f"{prefix}storage-{dialect}", list(STORED_TOPICS)) for dialect in self.storage]
        for group, topics in groups:
            try:
                await wait_caught_up(kafka, group, catalog, topics, timeout)
            except AssertionError as exc:
                logs = "\n".join(
                    f"--- {name}:\n{process.tail(2500)}" for name, process in self.processes().items()
                )
                raise AssertionError(f"{exc}\n{logs}") from None

    async def topics(self) -> dict[str, list[tuple[bytes, bytes]]]:
        """(key, value) of every message on every catalog topic, by catalog name, in partition order."""
        found: dict[str, list[tuple[bytes, bytes]]] = {}
        for spec in self.catalog.topics:
            records = await read_to_end(self.settings.kafka, self.catalog.name(spec.name))
            found[spec.name] = [(record.key or b"", record.value or b"") for record in records]
        return found

    async def tables(self) -> dict[str, dict[str, list[dict[str, Any]]]]:
        """Every table of every storage sink's database, by dialect."""
        return {dialect: await self._read(dialect, dump) for dialect in self.databases}

    async def stored(self) -> dict[str, dict[str, list[dict[str, Any]]]]:
        """Every storage sink's tables read back as the wire messages they hold, by dialect."""
        return {dialect: await self._read(dialect, stored_messages) for dialect in self.databases}

    async def _read(self, dialect: str, read: Callable[[Database], Awaitable[_Read]]) -> _Read:
        url = self.databases[dialect].url
        database = open_database(Settings.load({**self.env, "PAGEWIRE_DATABASE_URL": url}))
        try:
            return await read(database)
        finally:
            await database.close()


@asynccontextmanager
async def pipeline(
    base_env: dict[str, str],
    folder: Path,
    receiver: Receiver,
    databases: Sequence[Target],
    chats: Mapping[str, Chat] = CHATS,
    *,
    store: str = "memory",
    takeover: Mapping[str, str] = FAST_TAKEOVER,
    instances: Mapping[str, int] | None = None,
) -> AsyncIterator[Pipeline]:
    """Fresh topics under a prefix of their own, every process started and ready; all stopped after.
    The worker keeps its tables in `store` (PAGEWIRE_WORKER_STORE) under the folder's state/; `takeover`
    sets how soon the broker gives up on a worker that stopped heartbeating; `instances` how many workers,
    storage sinks (per database) and alert sinks run in each group ({"worker": 3, "storage": 2, "alerts":
    2}; one each by default), each worker with a state folder of its own."""
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    prefix = f"{base_env['PAGEWIRE_TOPIC_PREFIX']}r{uuid.uuid4().hex[:6]}."
    env = {**base_env, **FAST, **takeover, "PAGEWIRE_TOPIC_PREFIX": prefix}
    env["PAGEWIRE_STATE_DIR"] = str(folder / "state")
    env["PAGEWIRE_WORKER_STORE"] = store
    destinations: dict[str, dict[str, str]] = {}
    for name, chat in chats.items():
        variable = f"RELIABILITY_{name.upper()}"
        destinations[name] = {"kind": chat.kind, "url_env": f"{variable}_URL"}
        env[f"{variable}_URL"] = receiver.url(chat.path)
        if chat.secret is not None:
            destinations[name]["secret_env"] = f"{variable}_SECRET"
            env[f"{variable}_SECRET"] = chat.secret
    env["PAGEWIRE_ALERT_DESTINATIONS"] = str(write_destinations(folder, destinations))
    await ensure_topics(Settings.load(env).kafka, load_catalog(prefix))
    storage = {
        target.dialect: PagewireProcess(
            ("sink", "storage"),
            env
            | FAST_STORAGE
            | {
                "PAGEWIRE_DATABASE_URL": target.url,
                "PAGEWIRE_STORAGE_GROUP": f"storage-{target.dialect}",
            },
            folder / f"storage-{target.dialect}.log",
        )
        for target in databases
    }
    run = Pipeline(
        env,
        Worker(env, folder / "worker.log"),
        storage,
        PagewireProcess(("sink", "alerts"), env, folder / "alert-sink.log"),
        receiver,
        {target.dialect: target for target in databases},
        chats,
        folder=folder,
    )
    count = {"worker": 1, "storage": 1, "alerts": 1} | dict(instances or {})
    for _ in range(count["worker"] - 1):
        run.new_worker()
    for number in range(2, count["storage"] + 1):
        for dialect, sink in storage.items():
            log = folder / f"storage-{dialect}-{number}.log"
            run.extra[f"storage sink ({dialect}) {number}"] = PagewireProcess(sink.command, {**sink.env}, log)
    for number in range(2, count["alerts"] + 1):
        alerts = PagewireProcess(("sink", "alerts"), env, folder / f"alert-sink-{number}.log")
        run.extra[f"alert sink {number}"] = alerts
    try:
        await asyncio.gather(*(process.start() for process in run.processes().values()))
        yield run
    finally:
        # every process the run has now, those added during it too (a worker added by a fault), the last
        # made first
        await _stop_all(list(reversed(run.processes().values())))


async def _stop_all(processes: list[PagewireProcess]) -> None:
    """Stop each process (SIGTERM); one that does not exit in time is SIGKILLed, so no run leaves a process
    behind; then fail on the first that did not exit cleanly."""
    problems: list[str] = []
    for process in processes:
        if not process.running:
            continue
        try:
            code = await process.stop()
        except TimeoutError:
            await process.kill()
            problems.append(f"{process.name} did not stop on SIGTERM:\n{process.tail()}")
            continue
        if code != 0:
            problems.append(f"{process.name} exited with {code}:\n{process.tail()}")
    assert not problems, problems[0]
