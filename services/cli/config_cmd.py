"""`pagewire config`: the effective settings, secrets masked; `--markdown`: the README settings table."""

import os
from collections.abc import Mapping
from pathlib import Path

import click
import orjson

from services.cli.failures import CONFIG_EXIT, config_failure
from services.common.alert_rules_file import read_rules_file
from services.common.paths import REPO_ROOT
from services.common.settings import Settings
from services.domain.errors import PagewireError
from services.sinks.alerts.destinations_file import load_targets


@click.command("config")
@click.option("--markdown", is_flag=True, help="Print the defaults as the README's settings table instead.")
@click.option(
    "--check",
    is_flag=True,
    help="Check the settings and the files they name (alert rules, destinations) without starting anything; "
    "exit 0 when all is well, 2 with every problem listed.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="One JSON object: variable -> effective value (masked); with --check: what was checked, problems "
    "and ignored variables.",
)
@click.pass_obj
def command(settings: Settings, markdown: bool, check: bool, as_json: bool) -> None:
    """Print every setting's variable and effective value (secrets masked).

    Settings are checked before any command runs: a wrong one stops it with exit code 2, every problem
    on a line of its own. `--check` also reads the alert rules file (each window_move_pct rule's window
    must be one of PAGEWIRE_WINDOWS) and the alert destinations file with its URLs and secrets, for CI or
    a Kubernetes init container.
    """
    if markdown:
        click.echo(settings_table(), nl=False)
        return
    if check:
        _check(settings, as_json)
        return
    rows = list(settings.describe())
    if as_json:
        click.echo(orjson.dumps({variable: value for variable, value, _ in rows}).decode())
        return
    width = max(len(variable) for variable, _, _ in rows)
    for variable, value, _help in rows:
        click.echo(f"{variable.ljust(width)}  {value}")


def _check(settings: Settings, as_json: bool) -> None:
    """Settings are valid once here (the group loaded them); the files they name are read as the worker
    and the alert sink read them at start."""
    problems: list[str] = []
    settings_count = sum(1 for _ in settings.describe())
    rules_file, destinations = settings.worker.alert_rules, settings.alert_sink.destinations_file
    rules_count = destinations_count = None
    try:
        windows = [window.name for window in settings.worker.stream_rules().windows]
        rules_count = len(read_rules_file(rules_file, windows))
    except PagewireError as exc:
        problems.extend(str(exc).splitlines())
    if destinations is not None:
        try:
            destinations_count = len(load_targets(destinations, settings.alert_sink))
        except PagewireError as exc:
            problems.extend(str(exc).splitlines())
    ignored = unknown_variables(os.environ, settings)
    if as_json:
        checked = {
            "ok": not problems,
            "settings": settings_count,
            "alert_rules": {"file": str(rules_file), "rules": rules_count},
            "alert_destinations": None
            if destinations is None
            else {"file": str(destinations), "destinations": destinations_count},
            "problems": problems,
            "ignored_variables": ignored,
        }
        click.echo(orjson.dumps(checked).decode())
        if problems:
            raise SystemExit(CONFIG_EXIT)
        return
    for variable in ignored:
        click.echo(f"warning: {variable} is not a pagewire setting; it is ignored", err=True)
    if problems:
        raise config_failure(problems)
    checked_text = [f"{settings_count} settings", f"{rules_count} alert rules ({rules_file})"]
    if destinations is not None:
        checked_text.append(f"{destinations_count} alert destinations ({destinations})")
    click.echo(f"ok: {', '.join(checked_text)}")


#: PAGEWIRE_* variables that are read, but are not settings
_NOT_SETTINGS = ("PAGEWIRE_CONFIG",)


def unknown_variables(env: Mapping[str, str], settings: Settings) -> list[str]:
    """PAGEWIRE_* variables of `env` that no setting reads: most often a typo."""
    known = {variable for variable, _, _ in settings.describe()} | set(_NOT_SETTINGS)
    return sorted(
        name for name in env if name.startswith("PAGEWIRE_") and name not in known and "_TEST" not in name
    )


def settings_table() -> str:
    """Every variable with its default (not the environment's value) and help, as a Markdown table."""
    home, repo = str(Path.home()), str(REPO_ROOT) + "/"
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for variable, default, help_text in Settings.load({}).describe():
        shown = default.replace(repo, "").replace(home, "~")  # the same table from any checkout
        lines.append(f"| `{variable}` | {f'`{shown}`' if shown else ''} | {help_text.replace('|', '/')} |")
    return "\n".join(lines) + "\n"
