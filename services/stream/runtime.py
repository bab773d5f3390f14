"""Running the worker: the Faust worker with pagewire's logging, and the /metrics /healthz /readyz server."""

import asyncio
import logging
import os
import signal
import threading
from contextlib import AsyncExitStack
from typing import Any, NoReturn

import faust
from mode import Service

from services.common.kafka import wait_for_cluster, with_brokers
from services.common.logging import configure_logging, logging_config
from services.common.observe import Readiness, ReadyCheck, serve_observability
from services.common.retry import Backoff
from services.common.settings import ObservabilitySettings, Settings
from services.stream.local_state import mark_stopped
from services.stream.topology import build_topology

log = logging.getLogger(__name__)

#: the exit code of a worker whose stop outlasted PAGEWIRE_WORKER_STOP_TIMEOUT
STOP_TIMEOUT_EXIT = 4


class ObservabilityService(Service):
    """serve_observability as a mode service, started before the app so probes answer during recovery."""

    def __init__(self, settings: ObservabilitySettings, port: int, ready: ReadyCheck, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._settings = settings
        self._port = port
        self._ready = ready
        self._stack = AsyncExitStack()

    async def on_start(self) -> None:
        await self._stack.enter_async_context(
            serve_observability(self._settings, self._port, ready=self._ready)
        )

    async def on_stop(self) -> None:
        await self._stack.aclose()


class DeadlineWorker(faust.Worker):
    """Faust's worker, whose stop has `stop_timeout` seconds once a signal asks for it (or a crash ends it).

    A stop commits what was processed and flushes the producer; while no broker answers it waits for them
    as long as they stay away, so a SIGTERM did not end the process. Past the deadline the worker logs
    why and exits with STOP_TIMEOUT_EXIT, skipping the rest of its stop. Nothing depends on a clean stop:
    offsets are committed only after their outputs are on Kafka, and the next start recovers the tables
    from the changelog (a RocksDB store treats it as a crash, docs/reliability.md). A timer thread keeps
    the deadline, since the event loop is what is stuck."""

    def __init__(self, *services: Any, stop_timeout: float, **kwargs: Any) -> None:
        super().__init__(*services, **kwargs)
        self._deadline = threading.Timer(stop_timeout, _give_up, args=(stop_timeout,))
        self._deadline.daemon = True

    def _schedule_shutdown(self, signal: signal.Signals) -> None:  # mode internal, see test_faust_internals
        self._start_deadline()
        super()._schedule_shutdown(signal)

    def on_worker_shutdown(self) -> None:  # mode's hook before the stop after a crash (and after a signal's)
        self._start_deadline()
        super().on_worker_shutdown()

    def _start_deadline(self) -> None:
        if self._deadline.ident is None:  # once: a second signal changes nothing
            self._deadline.start()

    def stopped(self) -> None:
        """The stop is over: the deadline no longer applies."""
        self._deadline.cancel()


def _give_up(timeout: float) -> NoReturn:
    log.error("worker stop timed out", extra={"timeout_seconds": timeout, "exit_code": STOP_TIMEOUT_EXIT})
    for handler in logging.getLogger().handlers:
        handler.flush()
    os._exit(STOP_TIMEOUT_EXIT)


def run_worker(settings: Settings) -> None:
    """Run until SIGTERM or SIGINT, then stop cleanly: commit what was processed, close the tables; a stop
    that takes over PAGEWIRE_WORKER_STOP_TIMEOUT exits with code 4 instead (DeadlineWorker).

    Kafka is waited for first, as the sinks wait for it (PAGEWIRE_KAFKA_START_WAIT), with /healthz and
    /readyz answering meanwhile; a stop while waiting returns at once."""
    configure_logging(settings)  # registers the settings' secrets with the redactor before anything logs
    waited = asyncio.run(_wait_for_kafka(settings))
    if waited is None:
        return  # stopped while waiting
    brokers, port = waited
    # the port the probes answered on while waiting, so a port of 0 ("any free one") stays the same one
    _run(with_brokers(settings, brokers), port)


async def _wait_for_kafka(settings: Settings) -> tuple[int, int] | None:
    """The cluster's broker count once Kafka answers, and the port the probes were served on; None on
    SIGTERM or SIGINT first."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    readiness = Readiness("kafka")
    observability = settings.observability
    try:
        async with serve_observability(observability, observability.worker_port, ready=readiness) as server:
            brokers = await wait_for_cluster(
                settings.kafka,
                Backoff(0.5, 10.0, stopping=stopping),
                on_attempt=lambda failed: readiness.set("kafka", False, failed),
            )
            return None if brokers is None else (brokers, server.port)
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


def _run(settings: Settings, port: int) -> NoReturn:
    topology = build_topology(settings)
    observability = settings.observability
    server = ObservabilityService(observability, port, topology.readiness)
    worker = DeadlineWorker(
        topology.app,
        server,
        stop_timeout=settings.worker.stop_timeout_seconds,
        loglevel=observability.log_level,
        logging_config=logging_config(settings),
        quiet=True,
        redirect_stdouts=False,
    )
    # Faust's terminal spinner sets the root logger to DEBUG at WARNING and above: every Kafka send
    # would then build a debug record, a tenth of the worker's time
    worker.spinner = None  # Faust internal, see test_faust_internals
    try:
        worker.execute_from_commandline()
    except SystemExit as exit_:
        if exit_.code in (0, None) and topology.changelog.held == 0:
            mark_stopped(settings.worker.store, topology.app.conf.datadir)
        raise
    finally:
        worker.stopped()
