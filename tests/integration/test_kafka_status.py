"""`pagewire kafka status` against the real broker reached through PAGEWIRE_KAFKA_BOOTSTRAP."""

from click.testing import CliRunner

from services.cli import cli
from services.common.settings import Settings


def test_a_configured_bootstrap_that_answers_is_said_and_exits_0(kafka: Settings) -> None:
    # the same broker under another name than the local one's localhost:9092
    configured = kafka.kafka.bootstrap.replace("localhost", "127.0.0.1")

    result = CliRunner().invoke(cli, ["kafka", "status"], env={"PAGEWIRE_KAFKA_BOOTSTRAP": configured})

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == f"kafka at {configured} (PAGEWIRE_KAFKA_BOOTSTRAP): answers"
