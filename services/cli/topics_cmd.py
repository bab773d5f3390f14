"""`pagewire topics create|check|list`: the topic catalog (schemas/topics.yaml) and the cluster's topics."""

import asyncio

import click
import orjson

from services.common.catalog import Catalog, load_catalog, topic_drift
from services.common.kafka import ensure_topics, topic_states
from services.common.settings import Settings
from services.domain.errors import PagewireError


@click.group("topics")
def command() -> None:
    """Topics from the catalog in schemas/topics.yaml."""


@command.command()
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="One JSON object per topic: name, state (created, ok, drift), drift.",
)
@click.pass_obj
def create(settings: Settings, as_json: bool) -> None:
    """Create the catalog's missing topics (idempotent), and report existing ones that drifted from the
    catalog: creating cannot fix them, and they do not fail the command (it runs as an init container);
    `pagewire topics check` exits 1 on drift."""
    catalog = load_catalog(settings.kafka.topic_prefix)
    try:
        report = asyncio.run(ensure_topics(settings.kafka, catalog))
        drifted = _drift(settings, catalog)
    except PagewireError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        made = set(report.created)
        for spec in catalog.topics:
            name = catalog.name(spec.name)
            state = "created" if name in made else ("drift" if name in drifted else "ok")
            click.echo(orjson.dumps({"topic": name, "state": state, "drift": drifted.get(name, [])}).decode())
        return
    for name in report.created:
        click.echo(f"created  {name}")
    for name, problems in drifted.items():
        click.echo(f"drift    {name}: {'; '.join(problems)}")
    unchanged, created = len(report.existing) - len(drifted), len(report.created)
    click.echo(f"{created} created, {unchanged} already present as the catalog says, {len(drifted)} drifted")


@command.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per topic: name, state, drift.")
@click.pass_obj
def check(settings: Settings, as_json: bool) -> None:
    """Compare the cluster's topics with the catalog: partitions, replication factor, cleanup.policy,
    retention.ms, min.insync.replicas and the catalog's other configs. Exit 0 when all match, 1 when a
    topic is missing or drifted."""
    catalog = load_catalog(settings.kafka.topic_prefix)
    try:
        drifted = _drift(settings, catalog, missing_too=True)
    except PagewireError as exc:
        raise click.ClickException(str(exc)) from exc
    for spec in catalog.topics:
        name = catalog.name(spec.name)
        problems = drifted.get(name, [])
        state = "ok" if not problems else ("missing" if problems == ["missing"] else "drift")
        if as_json:
            click.echo(orjson.dumps({"topic": name, "state": state, "drift": problems}).decode())
        else:
            click.echo(f"{state:8} {name}" + (f": {'; '.join(problems)}" if state == "drift" else ""))
    if not as_json:
        missing = sum(problems == ["missing"] for problems in drifted.values())
        click.echo(
            f"{len(catalog.topics) - len(drifted)} as the catalog says, {len(drifted) - missing} drifted, "
            f"{missing} missing"
        )
    if drifted:
        raise SystemExit(1)


def _drift(settings: Settings, catalog: Catalog, *, missing_too: bool = False) -> dict[str, list[str]]:
    """Topic name -> its drift from the catalog, for the topics that differ (missing ones with
    `missing_too`)."""
    names = [catalog.name(spec.name) for spec in catalog.topics]
    states, replicas = asyncio.run(topic_states(settings.kafka, names))
    found: dict[str, list[str]] = {}
    for spec, name in zip(catalog.topics, names, strict=True):
        state = states.get(name)
        if state is None and not missing_too:
            continue
        problems = topic_drift(spec, state, replicas)
        if problems:
            found[name] = problems
    return found


@command.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per topic with every catalog field.")
@click.pass_obj
def list_topics(settings: Settings, as_json: bool) -> None:
    """Print the catalog: each topic's name, partitions, retention, cleanup and value schema, then its key
    and what it carries."""
    catalog = load_catalog(settings.kafka.topic_prefix)
    for spec in catalog.topics:
        name = catalog.name(spec.name)
        if as_json:
            fields = {
                "topic": name,
                "partitions": spec.partitions,
                "retention": spec.retention,
                "cleanup": spec.cleanup,
                "schema": spec.value,
                "key": spec.key,
                "description": spec.description,
                "owner": spec.owner,
                "public": spec.public,
            }
            click.echo(orjson.dumps(fields).decode())
            continue
        click.echo(f"{name}  {spec.partitions} partitions, {spec.retention}, {spec.cleanup}, {spec.value}")
        click.echo(f"    key: {spec.key}")
        click.echo(f"    {spec.description}")
