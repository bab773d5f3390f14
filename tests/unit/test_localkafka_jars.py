"""PAGEWIRE_LOCAL_KAFKA_JARS: a second local broker runs the jars another home downloaded, as they are."""

import hashlib
from pathlib import Path

import pytest

from services.common.settings import LocalKafkaSettings, Settings
from services.domain.errors import BrokerError
from services.localkafka.broker import POM, LocalKafka, kafka_version


def test_by_default_the_jars_live_in_the_home() -> None:
    broker = LocalKafka(LocalKafkaSettings(home=Path("/srv/pw")))
    assert broker.libs == Path(f"/srv/pw/kafka-{kafka_version()}/libs")
    assert broker.data == Path("/srv/pw/kafka/data")


def test_the_variable_names_a_jars_folder_and_state_stays_in_the_home() -> None:
    settings = Settings.load({"PAGEWIRE_HOME": "/tmp/private", "PAGEWIRE_LOCAL_KAFKA_JARS": "/srv/pw/libs"})
    broker = LocalKafka(settings.local_kafka)
    assert (broker.libs, broker.data, broker.pid_file) == (
        Path("/srv/pw/libs"),
        Path("/tmp/private/kafka/data"),
        Path("/tmp/private/kafka/broker.pid"),
    )
    assert Settings.load({"PAGEWIRE_LOCAL_KAFKA_JARS": ""}).local_kafka.jars is None


def test_a_complete_jars_folder_is_used_as_it_is(tmp_path: Path) -> None:
    libs = tmp_path / "libs"
    libs.mkdir()
    (libs / ".complete").write_text(hashlib.sha256(POM.read_bytes()).hexdigest())
    (libs / "kafka.jar").write_bytes(b"jar")
    LocalKafka(LocalKafkaSettings(home=tmp_path / "home", jars=libs))._ensure_jars()
    assert sorted(path.name for path in libs.iterdir()) == [".complete", "kafka.jar"]


def test_an_incomplete_jars_folder_is_refused_and_left_alone(tmp_path: Path) -> None:
    libs = tmp_path / "libs"
    libs.mkdir()
    (libs / "half.jar").write_bytes(b"jar")
    broker = LocalKafka(LocalKafkaSettings(home=tmp_path / "home", jars=libs))
    with pytest.raises(BrokerError, match="holds no complete Kafka"):
        broker._ensure_jars()
    assert [path.name for path in libs.iterdir()] == ["half.jar"]
