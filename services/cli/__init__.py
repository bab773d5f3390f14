"""The `pagewire` command: one group, one module per command family."""

import os
import sys
from pathlib import Path
from typing import NoReturn

import click
from click.utils import PacifyFlushWrapper

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
from services.cli.failures import CONFIG_EXIT
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
        # nothing starts on settings that are wrong: every problem is listed, and the exit code is 2
        failed = click.ClickException(str(exc))
        failed.exit_code = CONFIG_EXIT
        raise failed from exc
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
    started_on_devnull = _stdout_is_devnull()
    try:
        try:
            cli(prog_name="pagewire")
        finally:
            sys.stdout.flush()  # here, where a reader gone is caught, not at exit, where it is a traceback
    except SystemExit:
        # click (a PacifyFlushWrapper) and rich (stdout moved to /dev/null) each end with exit 1 when the
        # reader of stdout went away
        if isinstance(sys.stdout, PacifyFlushWrapper) or (_stdout_is_devnull() and not started_on_devnull):
            _reader_gone()
        raise
    except BrokenPipeError:
        _reader_gone()


def _reader_gone() -> NoReturn:
    """The reader of stdout went away (`pagewire query rates | head -3`): it read what it wanted, which is
    success; stdout goes to /dev/null so nothing tries to write to the closed pipe again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.__stdout__.fileno() if sys.__stdout__ else 1)
    sys.exit(0)


def _stdout_is_devnull() -> bool:
    try:
        return os.path.samestat(os.fstat(1), os.stat(os.devnull))
    except OSError:
        return False
