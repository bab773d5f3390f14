"""The `pagewire` command itself: its version, and a package that installs without deprecation warnings."""

import tomllib

from click.testing import CliRunner

from services.cli import cli
from services.common.settings import package_version
from tests.conftest import REPO


def test_version_prints_the_installed_package_version() -> None:
    for flag in ("--version", "-V"):
        result = CliRunner().invoke(cli, [flag])
        assert (result.exit_code, result.output) == (0, f"pagewire {package_version()}\n")
    assert package_version() == "0.1.0"


def test_the_license_is_an_spdx_expression_as_setuptools_asks() -> None:
    # a table ({text = ...}) makes every `pip install` print setuptools' project.license deprecation
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "Apache-2.0"
