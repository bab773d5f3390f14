"""`pagewire sink storage` and its siblings: long-running consumers writing pagewire's topics elsewhere."""

import logging

import click

from services.cli import sink_alerts_cmd
from services.cli.failures import failure
from services.cli.signals import run_until_signalled
from services.common.logging import configure_logging
from services.common.observe import serve_observability
from services.common.settings import Settings
from services.domain.errors import PagewireError
from services.sinks.storage.connect import open_database
from services.sinks.storage.sink import StorageSink

log = logging.getLogger(__name__)


@click.group("sink")
def command() -> None:
    """Sinks: consumers that store or deliver what pagewire publishes; each runs until SIGTERM or SIGINT."""


@command.command("storage")
@click.pass_obj
def storage(settings: Settings) -> None:
    """Store ticker rows, deltas, staleness, articles, snapshots, alerts and deliveries in the database.

    SQLite by default (PAGEWIRE_HOME/pagewire.db), PostgreSQL when PAGEWIRE_DATABASE_URL is
    postgresql://...; the schema is created or upgraded first. Replays leave the tables unchanged.
    Serves /metrics, /healthz and /readyz on PAGEWIRE_OBSERVE_STORAGE_SINK_PORT.
    """
    configure_logging(settings)
    try:
        sink = StorageSink(settings, open_database(settings))
    except PagewireError as exc:
        raise failure(exc) from exc
    observe = settings.observability

    async def run() -> None:
        # the probes answer from the start; /readyz names what the sink still waits for
        async with serve_observability(observe, observe.storage_sink_port, ready=sink.readiness):
            await sink.run()

    log.info("storage sink starting", extra={"group": sink.group})
    try:
        run_until_signalled(run, sink.stop)
    except PagewireError as exc:
        raise failure(exc) from exc
    log.info("storage sink stopped")


command.add_command(sink_alerts_cmd.command)
