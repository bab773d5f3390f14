"""The `pagewire` command: one group, one module per command family."""

import importlib
import os
import sys
from pathlib import Path
from typing import NoReturn

import click
from click.utils import PacifyFlushWrapper

from services.cli.failures import CONFIG_EXIT
from services.common.paths import use_schemas_dir
from services.common.settings import Settings, package_version
from services.domain.errors import PagewireError

#: each command's module (services/cli/<module>.py, its `command`), imported only when that command runs or
#: `--help` lists them all: `pagewire --version` or `pagewire query` does not load Faust, Kafka clients and
#: the demo's web server first (that took over a second before every command)
COMMANDS = {
    "kafka": "kafka_cmd",
    "topics": "topics_cmd",
    "config": "config_cmd",
    "demo": "demo_cmd",
    "produce": "produce_cmd",
    "alerts": "alerts_cmd",
    "sink": "sink_cmd",
    "query": "query_cmd",
    "schemas": "schemas_cmd",
    "parse": "parse_cmd",
    "worker": "worker_cmd",
    "bench": "bench_cmd",
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported when used (click's documented lazy-loading pattern)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMANDS.get(cmd_name)
        if module is None:
            return None
        command: click.Command = importlib.import_module(f"services.cli.{module}").command
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
