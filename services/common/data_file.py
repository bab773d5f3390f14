"""Reading a YAML or TOML configuration file (chosen by extension) into plain data, with clear errors."""

import tomllib
from pathlib import Path
from typing import Any

import yaml

from services.domain.errors import ConfigError


def read_data_file(path: Path, what: str) -> Any:
    """The parsed document of a .yaml/.yml/.toml file; every problem is a ConfigError naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read {what}: {exc.strerror or exc}") from exc
    suffix = path.suffix.lower()
    if suffix == ".toml":
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    if suffix in (".yaml", ".yml"):
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    raise ConfigError(f"{path}: {what} must be a .yaml, .yml or .toml file")
