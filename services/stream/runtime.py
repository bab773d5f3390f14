"""Running the worker: the Faust worker with pagewire's logging, and the /metrics /healthz /readyz server."""

from contextlib import AsyncExitStack
from typing import Any, NoReturn

import faust
from mode import Service

from services.common.kafka import with_cluster_replication
from services.common.logging import configure_logging, logging_config
from services.common.observe import ReadyCheck, serve_observability
from services.common.settings import ObservabilitySettings, Settings
from services.stream.local_state import mark_stopped
from services.stream.topology import build_topology


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


def run_worker(settings: Settings) -> NoReturn:
    """Run until SIGTERM or SIGINT, then stop cleanly: commit what was processed, close the tables."""
    configure_logging(settings)  # registers the settings' secrets with the redactor before anything logs
    settings = with_cluster_replication(settings)
    topology = build_topology(settings)
    observability = settings.observability
    server = ObservabilityService(observability, observability.worker_port, topology.readiness)
    worker = faust.Worker(
        topology.app,
        server,
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
