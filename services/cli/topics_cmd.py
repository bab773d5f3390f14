"""`pagewire topics create|list`: the topic catalog in Kafka."""

import asyncio

import click

from services.common.catalog import load_catalog
from services.common.kafka import ensure_topics
from services.common.settings import Settings
from services.domain.errors import PagewireError


@click.group("topics")
def command() -> None:
    """Topics from the catalog in schemas/topics.yaml."""


@command.command()
@click.pass_obj
def create(settings: Settings) -> None:
    """Create the catalog's missing topics (idempotent)."""
    catalog = load_catalog(settings.kafka.topic_prefix)
    try:
        report = asyncio.run(ensure_topics(settings.kafka, catalog))
    except PagewireError as exc:
        raise click.ClickException(str(exc)) from exc
    for name in report.created:
        click.echo(f"created  {name}")
    click.echo(f"{len(report.created)} created, {len(report.existing)} already present")


@command.command("list")
@click.pass_obj
def list_topics(settings: Settings) -> None:
    """Print the catalog: name, partitions, retention, cleanup, value schema."""
    catalog = load_catalog(settings.kafka.topic_prefix)
    for spec in catalog.topics:
        name = catalog.prefix + spec.name
        click.echo(f"{name:48} {spec.partitions:>3}  {spec.retention:>8}  {spec.cleanup:14} {spec.value}")
