"""`pagewire kafka up|down|status`: the local development broker."""

import asyncio
import logging

import click
import orjson

from services.common.settings import Settings
from services.domain.errors import PagewireError
from services.localkafka.broker import MAX_BROKERS, LocalKafka
from services.localkafka.host import answers


@click.group("kafka")
def command() -> None:
    """Run a local Apache Kafka (KRaft: one node, or a cluster) from Maven Central jars on Java 17."""


@command.command()
@click.option(
    "--brokers",
    type=click.IntRange(1, MAX_BROKERS),
    default=1,
    show_default=True,
    help="Nodes (broker and controller each): 3 gives topics 3 replicas and min.insync.replicas 2.",
)
@click.pass_obj
def up(settings: Settings, brokers: int) -> None:
    """Start the broker or cluster (downloading Kafka once), wait until every node answers, print the
    bootstrap list."""
    try:
        broker = LocalKafka(settings.local_kafka, brokers)
        was_running = broker.status().running
        status = broker.up()
    except PagewireError as exc:
        raise click.ClickException(str(exc)) from exc
    note = "already running" if was_running else "started"
    if broker.cluster:
        pids = ", ".join(str(node.pid) for node in status.nodes)
        click.echo(
            f"kafka {status.version} cluster of {brokers} {note} (pids {pids}); state in {status.home}",
            err=True,
        )
    else:
        click.echo(f"kafka {status.version} {note} (pid {status.pid}); state in {status.home}", err=True)
    click.echo(status.bootstrap)


@command.command()
@click.pass_obj
def down(settings: Settings) -> None:
    """Stop the local broker, or every node of the local cluster, cleanly (only them)."""
    stopped = LocalKafka.running_one(settings.local_kafka).down()
    click.echo("kafka stopped" if stopped else "kafka was not running")


@command.command()
@click.option(
    "--json", "as_json", is_flag=True, help="One JSON object: the Kafka in use and the local broker."
)
@click.pass_obj
def status(settings: Settings, as_json: bool) -> None:
    """Say whether the local broker runs and where, and whether the Kafka pagewire is configured to use
    (PAGEWIRE_KAFKA_BOOTSTRAP) answers when that is another one; exit 1 when the one in use does not."""
    local_kafka = LocalKafka.running_one(settings.local_kafka)
    current = local_kafka.status()
    configured = settings.kafka.bootstrap
    local: dict[str, object] = {
        "running": current.running,
        "pid": current.pid,
        "bootstrap": current.bootstrap,
    }
    local |= {"version": current.version, "home": str(current.home)}
    local["nodes"] = [
        {"node": node.node_id, "address": node.address, "pid": node.pid} for node in current.nodes
    ]
    leader = (
        local_kafka.quorum_leader() if local_kafka.cluster and any(n.running for n in current.nodes) else None
    )
    if local_kafka.cluster:
        local["quorum_leader"] = leader
    if _same_servers(configured, current.bootstrap):
        if as_json:
            click.echo(orjson.dumps({"bootstrap": configured, "answers": current.running, "local": local}))
        else:
            click.echo(current.describe(leader))
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
        click.echo(f"local broker: {current.describe(leader)}")
    if not reachable:
        raise SystemExit(1)


def _same_servers(configured: str, local: str) -> bool:
    """Whether a bootstrap list names the local Kafka: the same servers, or some of a local cluster's."""
    wanted = {server.strip() for server in configured.split(",") if server.strip()}
    return bool(wanted) and wanted <= set(local.split(","))
