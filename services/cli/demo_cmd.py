"""`pagewire demo`: replay the bundled snapshots through the whole pipeline and show what came out."""

import asyncio

import click
from rich.console import Console

from services.common.settings import Settings
from services.demo.run import PREFIX, run_demo
from services.domain.errors import PagewireError


@click.command("demo")
@click.option(
    "--prefix", default=PREFIX, show_default=True, help="Topic prefix of the demo; its topics are recreated."
)
@click.pass_obj
def command(settings: Settings, prefix: str) -> None:
    """Run the worker and sinks, replay samples/ under the 'pagewire-demo.' prefix, show what came out."""
    console = Console()
    try:
        ok = asyncio.run(run_demo(settings, console, prefix))
    except PagewireError as exc:
        raise click.ClickException(str(exc)) from exc
    if not ok:
        raise click.ClickException("the demo did not finish cleanly; logs are in PAGEWIRE_HOME/demo/*.log")
