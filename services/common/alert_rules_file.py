"""Reading an alert rules file (YAML or TOML, by extension) into validated rules."""

from pathlib import Path

from services.common.datafile import read_data_file
from services.common.paths import DATA_DIR
from services.domain.alerts.rules import Rule, load_rules
from services.domain.errors import ConfigError

DEFAULT_RULES_FILE = DATA_DIR / "alert_rules.yaml"


def read_rules_file(path: Path = DEFAULT_RULES_FILE) -> tuple[Rule, ...]:
    """Parse and validate a rules file; every problem is a ConfigError naming the file."""
    document = read_data_file(path, "alert rules")
    try:
        return load_rules(document)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
