"""The topic catalog (schemas/topics.yaml): every topic with its partitions, retention, cleanup and schema."""

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from services.common.datafile import read_data_file
from services.common.paths import DATA_DIR, schemas_dir
from services.domain.errors import ConfigError

_DURATION = re.compile(r"^(\d+)(ms|s|m|h|d)$")
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
_CLEANUPS = {"delete", "compact", "compact,delete"}


def retention_ms(text: str) -> int:
    """'7d' -> 604800000; 'infinite' -> -1 (Kafka's 'keep forever')."""
    if text == "infinite":
        return -1
    match = _DURATION.match(text)
    if not match:
        raise ConfigError(f"retention {text!r}: expected a number with ms, s, m, h or d, or 'infinite'")
    return int(match.group(1)) * _UNIT_MS[match.group(2)]


@dataclass(frozen=True)
class TopicSpec:
    """One topic of the catalog, its name without the prefix."""

    name: str
    partitions: int
    retention: str
    cleanup: str
    key: str
    value: str
    owner: str
    public: bool
    description: str
    stored: bool = False
    config: dict[str, str] = field(default_factory=dict)
    family: str | None = None
    label: str | None = None

    def kafka_config(self, replication_factor: int = 1) -> dict[str, str]:
        """Topic configs handed to Kafka when the topic is created on `replication_factor` replicas."""
        return {
            "cleanup.policy": self.cleanup,
            "retention.ms": str(retention_ms(self.retention)),
            "min.insync.replicas": str(min_insync_replicas(replication_factor)),
            **self.config,
        }


def min_insync_replicas(replication_factor: int) -> int:
    """Replicas that must have a write before it is acknowledged (acks=all): one less than the copies, at
    most 2, so one broker of three may be down and nothing acknowledged lives on one disk only."""
    return min(2, max(1, replication_factor - 1))


@dataclass(frozen=True)
class TopicState:
    """A topic as the cluster has it: partitions, replicas of its first partition, its configs."""

    partitions: int
    replication_factor: int
    config: dict[str, str]


def topic_drift(spec: TopicSpec, state: TopicState | None, replication_factor: int) -> list[str]:
    """How the cluster's topic differs from the catalog's, one item each ('partitions 3, catalog 6');
    ['missing'] when it does not exist, [] when it matches."""
    if state is None:
        return ["missing"]
    found: list[str] = []
    if state.partitions != spec.partitions:
        found.append(f"partitions {state.partitions}, catalog {spec.partitions}")
    if state.replication_factor != replication_factor:
        found.append(f"replication factor {state.replication_factor}, catalog {replication_factor}")
    for key, wanted in spec.kafka_config(replication_factor).items():
        actual = state.config.get(key)
        if actual != wanted:
            found.append(f"{key} {actual if actual is not None else 'unset'}, catalog {wanted}")
    return found


@dataclass(frozen=True)
class Catalog:
    """All topics pagewire owns, templates expanded, with the prefix that names them in Kafka."""

    topics: tuple[TopicSpec, ...]
    prefix: str = "pagewire."

    def spec(self, name: str) -> TopicSpec:
        for topic in self.topics:
            if topic.name == name:
                return topic
        raise ConfigError(f"topic {name!r} is not in the catalog")

    def name(self, name: str) -> str:
        """The full Kafka topic name for a catalog name, e.g. 'ticker.rows' -> 'pagewire.ticker.rows'."""
        return self.prefix + self.spec(name).name

    def family(self, family: str) -> dict[str, TopicSpec]:
        """label slug -> topic, for a templated family such as 'countries'."""
        return {topic.label: topic for topic in self.topics if topic.family == family and topic.label}

    def written_by(self, owner: str) -> tuple[str, ...]:
        """Catalog names of the topics a stage writes: those it owns, and those every stage writes."""
        return tuple(topic.name for topic in self.topics if topic.owner in (owner, "every stage"))

    @property
    def stored(self) -> tuple[str, ...]:
        """Catalog names of the topics the storage sink writes to the database."""
        return tuple(topic.name for topic in self.topics if topic.stored)

    def with_prefix(self, prefix: str) -> "Catalog":
        return Catalog(self.topics, prefix)


def taxonomy_labels(path: Path | None = None) -> dict[str, list[str]]:
    """family -> label slugs, read from the taxonomy data file."""
    data = read_data_file(path or DATA_DIR / "taxonomy.yaml", "taxonomy")
    return {family: list(labels) for family, labels in data.items() if isinstance(labels, dict)}


def load_catalog(prefix: str = "pagewire.", path: Path | None = None) -> Catalog:
    return _load(path or schemas_dir() / "topics.yaml").with_prefix(prefix)


@cache
def _load(path: Path) -> Catalog:
    entries = read_data_file(path, "topic catalog").get("topics")
    if not isinstance(entries, dict):
        raise ConfigError(f"{path}: expected a 'topics' mapping")
    labels = taxonomy_labels()
    topics: list[TopicSpec] = []
    for name, entry in entries.items():
        topics.extend(_expand(str(name), entry, labels))
    return Catalog(tuple(topics))


def _expand(name: str, entry: dict[str, Any], labels: dict[str, list[str]]) -> list[TopicSpec]:
    family = entry.get("family")
    if family is None:
        return [_spec(name, entry, None, None)]
    if family not in labels or "{slug}" not in name:
        raise ConfigError(f"topic template {name!r}: family {family!r} unknown or name without {{slug}}")
    return [_spec(name.replace("{slug}", slug), entry, family, slug) for slug in labels[family]]


def _spec(name: str, entry: dict[str, Any], family: str | None, label: str | None) -> TopicSpec:
    try:
        spec = TopicSpec(
            name=name,
            partitions=int(entry["partitions"]),
            retention=str(entry["retention"]),
            cleanup=str(entry["cleanup"]),
            key=str(entry["key"]),
            value=str(entry["value"]),
            owner=str(entry["owner"]),
            public=bool(entry["public"]),
            description=str(entry["description"]),
            stored=bool(entry.get("stored", False)),
            config={str(k): str(v) for k, v in (entry.get("config") or {}).items()},
            family=family,
            label=label,
        )
    except KeyError as exc:
        raise ConfigError(f"topic {name!r}: missing field {exc.args[0]!r}") from exc
    if spec.cleanup not in _CLEANUPS:
        raise ConfigError(f"topic {name!r}: cleanup must be one of {sorted(_CLEANUPS)}")
    if spec.partitions < 1:
        raise ConfigError(f"topic {name!r}: partitions must be at least 1")
    retention_ms(spec.retention)
    return spec
