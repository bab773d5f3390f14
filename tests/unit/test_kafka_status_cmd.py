"""`pagewire kafka status` checks the Kafka pagewire is configured to use, not only the local broker."""

import subprocess
import sys
from pathlib import Path

import orjson
from click.testing import CliRunner

from services.cli import cli
from services.localkafka.broker import kafka_version
from tests.conftest import REPO


def test_a_configured_bootstrap_that_does_not_answer_is_said_and_exits_1(tmp_path: Path) -> None:
    env = {"PAGEWIRE_KAFKA_BOOTSTRAP": "127.0.0.1:1", "PAGEWIRE_HOME": str(tmp_path)}

    result = CliRunner().invoke(cli, ["kafka", "status"], env=env)

    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "kafka at 127.0.0.1:1 (PAGEWIRE_KAFKA_BOOTSTRAP): does not answer",
        f"local broker: kafka {kafka_version()} not running; state in {tmp_path}",
    ]


def test_status_as_json_says_the_same(tmp_path: Path) -> None:
    env = {"PAGEWIRE_KAFKA_BOOTSTRAP": "127.0.0.1:1", "PAGEWIRE_HOME": str(tmp_path)}

    result = CliRunner().invoke(cli, ["kafka", "status", "--json"], env=env)

    assert result.exit_code == 1
    assert orjson.loads(result.stdout) == {
        "bootstrap": "127.0.0.1:1",
        "answers": False,
        "local": {
            "running": False,
            "pid": None,
            "bootstrap": "localhost:9092",
            "version": kafka_version(),
            "home": str(tmp_path),
            "nodes": [{"node": 1, "address": "localhost:9092", "pid": None}],
        },
    }


def test_bench_help_names_the_pagewire_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", "bench", "--help"], cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: pagewire bench [-h] [--quick] [--only ONLY]")
