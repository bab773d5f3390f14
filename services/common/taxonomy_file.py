"""Reads the article taxonomy data file (services/data/taxonomy.yaml) into the domain's Taxonomy."""

from functools import cache
from pathlib import Path

from services.common.datafile import read_data_file
from services.common.paths import DATA_DIR
from services.domain.articles.taxonomy import Taxonomy
from services.domain.errors import ConfigError

TAXONOMY_FILE = DATA_DIR / "taxonomy.yaml"


@cache
def load_taxonomy(path: Path = TAXONOMY_FILE) -> Taxonomy:
    """The taxonomy with every cue compiled; ConfigError names the file and what is wrong."""
    data = read_data_file(path, "taxonomy")
    try:
        return Taxonomy.from_mapping(data)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
