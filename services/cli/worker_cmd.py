"""`pagewire worker`: the stream processor, from snapshots.raw to the public topics."""

import click

from services.cli.failures import failure
from services.common.settings import Settings
from services.domain.errors import PagewireError
from services.stream.runtime import run_worker


@click.command("worker")
@click.pass_obj
def command(settings: Settings) -> None:
    """Parse snapshots.raw into ticker rows, rate deltas, articles per label, staleness and alerts.

    Runs until SIGTERM or SIGINT. State lives in Faust tables (PAGEWIRE_WORKER_STORE: rocksdb, or memory
    for tests) backed by changelog topics, so a restart or a second worker carries on where it left off.
    /metrics, /healthz and /readyz are served on PAGEWIRE_OBSERVE_WORKER_PORT.
    """
    try:
        run_worker(settings)
    except PagewireError as exc:
        raise failure(exc) from exc
