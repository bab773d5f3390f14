"""Helpers for the deploy/ checks: the metric names pagewire exposes, names used in PromQL, and promtool."""

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.common.metrics import REGISTRY
from services.common.settings import ObservabilitySettings, Settings

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
# Series Prometheus itself adds to every scrape
SCRAPE_SERIES = frozenset({"up", "scrape_duration_seconds", "scrape_samples_scraped"})
_NAME = re.compile(r"\b(pagewire_[a-z0-9_]+|process_[a-z0-9_]+|up)\b")
_SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}

# The port each process's /metrics listens on by default, keyed by its compose service / k8s component
DEFAULTS = ObservabilitySettings()
PORTS = {
    "producer": DEFAULTS.producer_port,
    "worker": DEFAULTS.worker_port,
    "storage-sink": DEFAULTS.storage_sink_port,
    "alert-sink": DEFAULTS.alert_sink_port,
}


def exposed_series() -> set[str]:
    """Every sample name /metrics can carry (counters with _total, histograms with _bucket/_sum/_count)."""
    names: set[str] = set()
    for family in REGISTRY.collect():
        names.update(family.name + suffix for suffix in _SUFFIXES.get(family.type, ("",)))
    return names


def series_in(expr: str) -> set[str]:
    """Metric names a PromQL expression reads (recording-rule names like a:b:c are not matched)."""
    return {match for match in _NAME.findall(expr) if not re.search(rf"{match}:", expr)}


def known_variables() -> set[str]:
    return {variable for variable, _, _ in Settings.load({}).describe()}


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


#: set by scripts/test (the README's test command, which CI runs) once it has installed promtool
NEED_PROMTOOL = "PAGEWIRE_TESTS_NEED_PROMTOOL"


def promtool() -> str:
    """promtool's path. Without one, the fast loop skips these checks with the reason; the README's test
    command installs Debian's prometheus package and sets NEED_PROMTOOL, so there they always run."""
    found = shutil.which("promtool")
    if found is None:
        if os.environ.get(NEED_PROMTOOL) == "1":
            pytest.fail("no promtool, though scripts/test installs the prometheus package", pytrace=False)
        pytest.skip("no promtool on this machine: scripts/test installs it and runs the deploy/ checks")
    return found


def run_promtool(*args: str, cwd: Path = REPO) -> str:
    """Run promtool, fail the test with its output unless it succeeds; returns what it printed."""
    result = subprocess.run([promtool(), *args], cwd=cwd, capture_output=True, text=True, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"promtool {' '.join(args)} failed:\n{output}"
    return output
