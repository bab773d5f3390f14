"""Reading an alert rules file (YAML or TOML, by extension) into validated rules."""

from collections.abc import Sequence
from pathlib import Path

from services.common.datafile import read_data_file
from services.common.paths import DATA_DIR
from services.domain.alerts.rules import Rule, parse_rules, unknown_windows
from services.domain.errors import ConfigError

DEFAULT_RULES_FILE = DATA_DIR / "alert_rules.yaml"


def read_rules_file(
    path: Path = DEFAULT_RULES_FILE, windows: Sequence[str] | None = None
) -> tuple[Rule, ...]:
    """Parse and validate a rules file, and with `windows` (the names in PAGEWIRE_WINDOWS) check that each
    rule's window is computed; every problem in the file is reported at once, one line each, naming it."""
    rules, problems = parse_rules(read_data_file(path, "alert rules"))
    if windows is not None:
        problems += unknown_windows(rules, windows)
    if problems:
        raise ConfigError("\n".join(f"{path}: {line}" for line in problems))
    return rules
