"""`pagewire config`: the effective settings, secrets masked; `--markdown`: the README settings table."""

from pathlib import Path

import click

from services.common.paths import REPO_ROOT
from services.common.settings import Settings


@click.command("config")
@click.option("--markdown", is_flag=True, help="Print the defaults as the README's settings table instead.")
@click.pass_obj
def command(settings: Settings, markdown: bool) -> None:
    """Print every setting's variable and effective value (secrets masked)."""
    if markdown:
        click.echo(settings_table(), nl=False)
        return
    rows = list(settings.describe())
    width = max(len(variable) for variable, _, _ in rows)
    for variable, value, _help in rows:
        click.echo(f"{variable.ljust(width)}  {value}")


def settings_table() -> str:
    """Every variable with its default (not the environment's value) and help, as a Markdown table."""
    home, repo = str(Path.home()), str(REPO_ROOT) + "/"
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for variable, default, help_text in Settings.load({}).describe():
        shown = default.replace(repo, "").replace(home, "~")  # the same table from any checkout
        lines.append(f"| `{variable}` | {f'`{shown}`' if shown else ''} | {help_text.replace('|', '/')} |")
    return "\n".join(lines) + "\n"
