"""Where pagewire's data files live: the schemas/ folder (the contracts) and the packaged data files."""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]
REPO_ROOT = PACKAGE_DIR.parent
DATA_DIR = PACKAGE_DIR / "data"
_schemas = REPO_ROOT / "schemas"


def schemas_dir() -> Path:
    """The topic catalog and JSON Schemas: schemas/ of this checkout unless `use_schemas_dir` said other."""
    return _schemas


def use_schemas_dir(path: Path | None) -> None:
    """Read the contracts from `path` (Settings.contracts.schemas_dir, PAGEWIRE_SCHEMAS_DIR) from now on;
    the `pagewire` command calls it once at start, before anything reads a schema."""
    global _schemas
    _schemas = REPO_ROOT / "schemas" if path is None else path
