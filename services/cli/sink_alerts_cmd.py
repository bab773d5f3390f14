"""`pagewire sink alerts`: deliver the alerts topic to chat destinations until SIGTERM or SIGINT."""

import logging
from pathlib import Path

import click
import orjson

from services.cli.failures import config_failure, failure
from services.cli.signals import run_until_signalled
from services.common.logging import configure_logging
from services.common.observe import serve_observability
from services.common.settings import Settings
from services.domain.errors import ConfigError, PagewireError
from services.sinks.alerts.destinations_file import Target, load_targets
from services.sinks.alerts.sink import AlertSink

log = logging.getLogger(__name__)


@click.command("alerts")
@click.option(
    "--destinations",
    "destinations_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Destinations file, YAML or TOML [default: PAGEWIRE_ALERT_DESTINATIONS].",
)
@click.option("--check", is_flag=True, help="Check the destinations, URLs and secrets, list them, and exit.")
@click.option("--json", "as_json", is_flag=True, help="With --check: one JSON object per destination.")
@click.pass_obj
def command(settings: Settings, destinations_file: Path | None, check: bool, as_json: bool) -> None:
    """Deliver alerts to Slack, Discord, Mattermost, Teams and signed webhooks.

    Each destination has its own consumer group (<prefix>alerts-<name>): retries with backoff, honours
    Retry-After, and dead-letters an alert after its deadline or a refusal. A crash re-sends at most the
    alert in flight, with the same alert id. Serves /metrics, /healthz and /readyz on
    PAGEWIRE_OBSERVE_ALERT_SINK_PORT. The destinations file format: deploy/alert-destinations.example.yaml.
    """
    path = destinations_file or settings.alert_sink.destinations_file
    if path is None:
        raise click.ClickException(
            "no alert destinations: set PAGEWIRE_ALERT_DESTINATIONS or pass --destinations "
            "(see deploy/alert-destinations.example.yaml)"
        )
    try:
        targets = load_targets(path, settings.alert_sink)
    except ConfigError as exc:
        raise config_failure(str(exc)) from exc  # every problem of the file, exit 2
    try:
        if check:
            _describe(targets, as_json)
            return
        configure_logging(settings)
        # httpx logs each request with its URL at INFO, and a chat webhook's URL is its credential
        logging.getLogger("httpx").setLevel(logging.WARNING)
        sink = AlertSink(settings, targets)
        log.info("alert sink starting", extra={"destinations": [target.name for target in targets]})
        _run(settings, sink)
    except PagewireError as exc:
        raise failure(exc) from exc
    log.info("alert sink stopped")


def _run(settings: Settings, sink: AlertSink) -> None:
    async def serve_and_deliver() -> None:
        port = settings.observability.alert_sink_port
        async with serve_observability(settings.observability, port, ready=sink.readiness):
            await sink.run()

    run_until_signalled(serve_and_deliver, sink.stop)


def _describe(targets: tuple[Target, ...], as_json: bool) -> None:
    """One line per destination: where its URL comes from (never the URL), filters and limits."""
    for target in targets:
        destination = target.destination
        limits = destination.limits
        if as_json:
            fields = {
                "destination": destination.name,
                "kind": destination.kind,
                "url_from": destination.url.describe(),
                "min_severity": destination.filter.min_severity,
                "pairs": list(destination.filter.pairs),
                "rate_per_second": limits.rate_per_second,
                "deadline_seconds": limits.deadline_seconds,
                "max_attempts": limits.max_attempts,
            }
            click.echo(orjson.dumps(fields).decode())
            continue
        click.echo(
            f"{destination.name}: {destination.kind}, URL from {destination.url.describe()}, "
            f"severity >= {destination.filter.min_severity}, pairs {', '.join(destination.filter.pairs)}, "
            f"{limits.rate_per_second:g} req/s, deadline {limits.deadline_seconds:g}s, "
            f"{limits.max_attempts} attempts"
        )
