"""Reading an alert rules file (YAML or TOML, by extension) into validated rules."""

import tomllib
from pathlib import Path
from typing import Any

import yaml

from services.common.paths import DATA_DIR
from services.domain.alert_rules import Rule, load_rules
from services.domain.errors import ConfigError

DEFAULT_RULES_FILE = DATA_DIR / "alert_rules.yaml"


def read_rules_file(path: Path = DEFAULT_RULES_FILE) -> tuple[Rule, ...]:
    """Parse and validate a rules file; every problem is a ConfigError naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read alert rules: {exc.strerror or exc}") from exc
    document = _parse(path, text)
    try:
        return load_rules(document)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def _parse(path: Path, text: str) -> Any:
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
    raise ConfigError(f"{path}: alert rules must be a .yaml, .yml or .toml file")
