"""The `pagewire` command itself: its version, its commands loaded when used, and a package that installs
without deprecation warnings."""

import subprocess
import sys
import tomllib

import click
from click.testing import CliRunner

from services.cli import COMMANDS, cli
from services.common.settings import package_version
from tests.conftest import REPO


def test_version_prints_the_installed_package_version() -> None:
    for flag in ("--version", "-V"):
        result = CliRunner().invoke(cli, [flag])
        assert (result.exit_code, result.output) == (0, f"pagewire {package_version()}\n")
    assert package_version() == "0.1.0"


HEAVY = ("faust", "aiokafka", "aiohttp")  # the worker's stream engine, the Kafka client, the demo's server

LOADED = """
import sys
from click.testing import CliRunner
from services.cli import cli
result = CliRunner().invoke(cli, sys.argv[1:])
assert result.exit_code == 0, result.output
print(" ".join(name for name in {heavy!r} if name in sys.modules))
"""


def loaded_by(*args: str) -> list[str]:
    """The heavy libraries a fresh `pagewire ARGS` process has imported once the command is done."""
    script = LOADED.format(heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_a_command_loads_only_what_it_uses() -> None:
    # every command's module used to be imported first: over a second before `pagewire --version` printed
    assert loaded_by("--version") == []
    assert loaded_by("query", "rates", "--help") == []
    assert loaded_by("worker", "--help") == ["faust", "aiokafka", "aiohttp"]
    assert set(loaded_by("--help")) == set(HEAVY)  # the listing shows every command's help line


def test_each_lazy_command_is_the_one_its_module_defines() -> None:
    # services/cli COMMANDS names each command before its module is imported: the names must agree
    context = click.Context(cli)
    names = {name: cli.get_command(context, name) for name in COMMANDS}
    assert {name: command.name if command else None for name, command in names.items()} == {
        name: name for name in COMMANDS
    }


def test_the_license_is_an_spdx_expression_as_setuptools_asks() -> None:
    # a table ({text = ...}) makes every `pip install` print setuptools' project.license deprecation
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "Apache-2.0"
