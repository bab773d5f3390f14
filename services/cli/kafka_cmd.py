"""`pagewire kafka up|down|status`: the local development broker."""

import asyncio
import logging

import click
import orjson

from services.common.settings import Settings
from services.domain.errors import PagewireError
from services.localkafka.broker import LocalKafka
from services.localkafka.host import answers


@click.group("kafka")
def command() -> None:
    """Run a local single-node Apache Kafka (KRaft) from Maven Central jars on Java 17."""


@command.command()
@click.pass_obj
def up(settings: Settings) -> None:
    """Start the broker (downloading it once), wait until it answers, print the bootstrap address."""
    broker = LocalKafka(settings.local_kafka)
    was_running = broker.status().running
    try:
        status = broker.up()
    except PagewireError as exc:
        raise click.ClickException(str(exc)) from exc
    note = "already running" if was_running else "started"
    click.echo(f"kafka {status.version} {note} (pid {status.pid}); state in {status.home}", err=True)
    click.echo(status.bootstrap)


@command.command()
@click.pass_obj
def down(settings: Settings) -> None:
    """Stop the local broker cleanly (only it)."""
    stopped = LocalKafka(settings.local_kafka).down()
    click.echo("kafka stopped" if stopped else "kafka was not running")


@command.command()
@click.option(
    "--json", "as_json", is_flag=True, help="One JSON object: the Kafka in use and the local broker."
)
@click.pass_obj
def status(settings: Settings, as_json: bool) -> None:
    """Say whether the local broker runs and where, and whether the Kafka pagewire is configured to use
    (PAGEWIRE_KAFKA_BOOTSTRAP) answers when that is another one; exit 1 when the one in use does not."""
    current = LocalKafka(settings.local_kafka).status()
    configured = settings.kafka.bootstrap
    local = {"running": current.running, "pid": current.pid, "bootstrap": current.bootstrap}
    local |= {"version": current.version, "home": str(current.home)}
    if configured == current.bootstrap:
        if as_json:
            click.echo(orjson.dumps({"bootstrap": configured, "answers": current.running, "local": local}))
        else:
            click.echo(current.describe())
        if not current.running:
            raise SystemExit(1)
        return
    # aiokafka logs a refused connection itself; the line below says it once, plainly
    library = logging.getLogger("aiokafka")
    level = library.level
    library.setLevel(logging.CRITICAL)
    try:
        reachable = asyncio.run(answers(configured))
    finally:
        library.setLevel(level)
    if as_json:
        click.echo(orjson.dumps({"bootstrap": configured, "answers": reachable, "local": local}))
    else:
        answer = "answers" if reachable else "does not answer"
        click.echo(f"kafka at {configured} (PAGEWIRE_KAFKA_BOOTSTRAP): {answer}")
        click.echo(f"local broker: {current.describe()}")
    if not reachable:
        raise SystemExit(1)
