"""`pagewire config`: the effective settings, secrets masked."""

import click

from services.common.settings import Settings


@click.command("config")
@click.pass_obj
def command(settings: Settings) -> None:
    """Print every setting's variable and effective value (secrets masked)."""
    rows = list(settings.describe())
    width = max(len(variable) for variable, _, _ in rows)
    for variable, value, _help in rows:
        click.echo(f"{variable.ljust(width)}  {value}")
