"""Reads the article taxonomy data file (services/data/taxonomy.yaml) into the domain's Taxonomy."""

from functools import cache
from pathlib import Path

import yaml

from services.common.paths import DATA_DIR
from services.domain.errors import ConfigError
from services.domain.taxonomy import Taxonomy

TAXONOMY_FILE = DATA_DIR / "taxonomy.yaml"


@cache
def load_taxonomy(path: Path = TAXONOMY_FILE) -> Taxonomy:
    """The taxonomy with every cue compiled; ConfigError names the file and what is wrong."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"taxonomy file not found: {path}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top")
    try:
        return Taxonomy.from_mapping(data)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
