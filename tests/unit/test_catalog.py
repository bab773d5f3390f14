"""The topic catalog: every topic with partitions, retention, cleanup and schema; templates expanded."""

from pathlib import Path

import pytest

from services.common.catalog import TopicState, load_catalog, min_insync_replicas, retention_ms, topic_drift
from services.common.kafka import replication_factor
from services.domain.errors import ConfigError


def test_public_topics_are_named_with_the_prefix() -> None:
    catalog = load_catalog("pagewire.")
    assert catalog.name("ticker.rows") == "pagewire.ticker.rows"
    assert load_catalog("acme-").name("rates.deltas") == "acme-rates.deltas"


def test_the_contract_topics_are_all_public_with_a_value_schema() -> None:
    catalog = load_catalog()
    for name in ("ticker.rows", "rates.deltas", "articles", "articles.unclassified", "alerts", "deadletter"):
        spec = catalog.spec(name)
        assert spec.public, name
        assert spec.value.startswith("pagewire."), name


def test_country_and_subject_topics_come_one_per_taxonomy_label() -> None:
    catalog = load_catalog()
    countries = catalog.family("countries")
    subjects = catalog.family("subjects")
    assert sorted(countries) == sorted(
        ["kazakhstan", "kyrgyzstan", "tajikistan", "turkmenistan", "uzbekistan", "afghanistan", "russia",
         "china", "turkey", "iran", "eu", "us"]
    )  # fmt: skip
    assert countries["kyrgyzstan"].name == "articles.country.kyrgyzstan"
    assert subjects["energy-climate"].name == "articles.subject.energy-climate"
    assert len(catalog.topics) == 10 + len(countries) + len(subjects)


def test_topic_configs_carry_retention_cleanup_size_and_in_sync_replicas() -> None:
    raw = load_catalog().spec("snapshots.raw")
    assert raw.kafka_config() == {
        "cleanup.policy": "delete",
        "retention.ms": "604800000",
        "min.insync.replicas": "1",
        "max.message.bytes": "4194304",
    }
    # one broker of three may be down, and an acknowledged write is on two of them
    assert raw.kafka_config(3)["min.insync.replicas"] == "2"
    assert [min_insync_replicas(factor) for factor in (1, 2, 3, 5)] == [1, 1, 2, 2]


def test_drift_names_every_difference_from_the_catalog() -> None:
    raw = load_catalog().spec("snapshots.raw")
    matching = TopicState(6, 3, raw.kafka_config(3))
    assert topic_drift(raw, matching, 3) == []
    assert topic_drift(raw, None, 3) == ["missing"]
    drifted = TopicState(
        4, 1, {"cleanup.policy": "compact", "retention.ms": "604800000", "min.insync.replicas": "1"}
    )
    assert topic_drift(raw, drifted, 3) == [
        "partitions 4, catalog 6",
        "replication factor 1, catalog 3",
        "cleanup.policy compact, catalog delete",
        "min.insync.replicas 1, catalog 2",
        "max.message.bytes unset, catalog 4194304",
    ]


@pytest.mark.parametrize(
    ("text", "expected"), [("7d", 604_800_000), ("12h", 43_200_000), ("90s", 90_000), ("infinite", -1)]
)
def test_retention_durations(text: str, expected: int) -> None:
    assert retention_ms(text) == expected


def test_a_catalog_entry_without_partitions_is_refused(tmp_path: Path) -> None:
    broken = tmp_path / "topics.yaml"
    broken.write_text(
        "topics:\n  x:\n    retention: 1d\n    cleanup: delete\n    key: k\n    value: v\n"
        "    owner: o\n    public: true\n    description: d\n"
    )
    with pytest.raises(ConfigError, match="topic 'x': missing field 'partitions'"):
        load_catalog(path=broken)


@pytest.mark.parametrize(
    ("configured", "brokers", "expected"), [(0, 1, 1), (0, 2, 2), (0, 5, 3), (2, 5, 2), (1, 1, 1)]
)
def test_topics_get_as_many_replicas_as_the_cluster_allows(
    configured: int, brokers: int, expected: int
) -> None:
    assert replication_factor(configured, brokers) == expected
