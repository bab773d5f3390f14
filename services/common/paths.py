"""Where pagewire's data files live: the schemas/ folder and the packaged data files."""

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]
REPO_ROOT = PACKAGE_DIR.parent
DATA_DIR = PACKAGE_DIR / "data"


def schemas_dir() -> Path:
    """schemas/ of this checkout, or PAGEWIRE_SCHEMAS_DIR where the package runs without one."""
    return Path(os.environ.get("PAGEWIRE_SCHEMAS_DIR") or REPO_ROOT / "schemas")
