"""Reading pagewire's data files (catalog, taxonomy, alert rules, destinations): YAML or TOML by extension."""

import tomllib
from pathlib import Path
from typing import Any

import yaml

from services.domain.errors import ConfigError


def read_data_file(path: Path, what: str) -> dict[str, Any]:
    """The file's top-level mapping; every problem is a ConfigError naming `what` and the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read {what}: {exc.strerror or exc}") from exc
    suffix = path.suffix.lower()
    try:
        if suffix == ".toml":
            document: Any = tomllib.loads(text)
        elif suffix in (".yaml", ".yml"):
            document = yaml.safe_load(text)
        else:
            raise ConfigError(f"{path}: {what} must be a .yaml, .yml or .toml file")
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: expected a mapping at the top")
    return document
