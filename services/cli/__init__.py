"""The `pagewire` command: one group, one module per command family."""

from pathlib import Path

import click

from services.cli import (
    alerts_cmd,
    bench_cmd,
    config_cmd,
    demo_cmd,
    kafka_cmd,
    parse_cmd,
    produce_cmd,
    query_cmd,
    schemas_cmd,
    sink_cmd,
    topics_cmd,
    worker_cmd,
)
from services.common.paths import use_schemas_dir
from services.common.settings import Settings, package_version
from services.domain.errors import PagewireError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    package_version(), "--version", "-V", prog_name="pagewire", message="%(prog)s %(version)s"
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="TOML settings file (default: $PAGEWIRE_CONFIG); environment variables win over it.",
)
@click.pass_context
def cli(ctx: click.Context, config_file: Path | None) -> None:
    """pagewire: news listing pages with market tickers in, clean Kafka streams out."""
    try:
        ctx.obj = Settings.load(config_file=config_file)
    except PagewireError as exc:
        raise click.ClickException(str(exc)) from exc
    use_schemas_dir(ctx.obj.contracts.schemas_dir)


for module in (
    kafka_cmd,
    topics_cmd,
    config_cmd,
    demo_cmd,
    produce_cmd,
    alerts_cmd,
    sink_cmd,
    query_cmd,
    schemas_cmd,
    parse_cmd,
    worker_cmd,
    bench_cmd,
):
    cli.add_command(module.command)


def main() -> None:
    cli(prog_name="pagewire")
