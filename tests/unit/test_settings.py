"""Settings come from the environment and an optional TOML file, typed, with secrets masked."""

from pathlib import Path

import pytest

from services.common.settings import Secret, Settings
from services.domain.errors import ConfigError


def test_defaults_point_at_the_local_broker_and_the_pagewire_prefix() -> None:
    settings = Settings.load({})
    assert settings.kafka.bootstrap == "localhost:9092"
    assert settings.kafka.topic_prefix == "pagewire."


def test_environment_variables_override_the_defaults() -> None:
    settings = Settings.load(
        {"PAGEWIRE_KAFKA_BOOTSTRAP": "kafka-1:9092,kafka-2:9092", "PAGEWIRE_TOPIC_PREFIX": "t."}
    )
    assert settings.kafka.bootstrap == "kafka-1:9092,kafka-2:9092"
    assert settings.kafka.topic_prefix == "t."


def test_a_config_file_fills_in_and_the_environment_wins(tmp_path: Path) -> None:
    config = tmp_path / "pagewire.toml"
    config.write_text('[kafka]\nbootstrap = "file-broker:9092"\ntopic_prefix = "file."\n')
    settings = Settings.load({"PAGEWIRE_CONFIG": str(config), "PAGEWIRE_TOPIC_PREFIX": "env."})
    assert settings.kafka.bootstrap == "file-broker:9092"
    assert settings.kafka.topic_prefix == "env."


def test_unknown_keys_in_the_config_file_are_refused(tmp_path: Path) -> None:
    config = tmp_path / "pagewire.toml"
    config.write_text('[kafka]\nbootstrapp = "typo:9092"\n')
    with pytest.raises(ConfigError, match=r"unknown key\(s\) in \[kafka\]: bootstrapp"):
        Settings.load({}, config_file=config)


def test_a_badly_typed_value_names_the_variable() -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.load({"PAGEWIRE_LOCAL_KAFKA_PORT": "ninety"})
    assert (
        str(raised.value)
        == "1 invalid setting:\n  PAGEWIRE_LOCAL_KAFKA_PORT='ninety': must be a whole number"
    )


def test_database_passwords_are_masked_when_printed() -> None:
    settings = Settings.load(
        {"PAGEWIRE_DATABASE_URL": "postgresql://pagewire:s3cret-pw@db.internal:5432/pagewire"}
    )
    printed = dict((variable, value) for variable, value, _ in settings.describe())
    assert printed["PAGEWIRE_DATABASE_URL"] == "postgresql://pagewire:****@db.internal:5432/pagewire"
    assert "s3cret-pw" not in repr(settings)
    assert "s3cret-pw" not in str(settings.storage.database_url)


def test_a_webhook_url_secret_shows_only_its_host() -> None:
    secret = Secret("https://hooks.slack.com/services/T000/B000/XXXXXXXX")
    assert secret.masked == "https://hooks.slack.com/****"
    assert secret.reveal().endswith("XXXXXXXX")
