"""The settings sections of the shared parts (Kafka, the local broker, storage, observability, contracts):
one frozen dataclass each, every field with its PAGEWIRE_* variable and help. The stages' own sections
are in settings_stages.py."""

import functools
import importlib.metadata
import os
from dataclasses import dataclass, field
from pathlib import Path

from services.common.secret import Secret


def setting(env: str, help_text: str) -> dict[str, str]:
    return {"env": env, "help": help_text}


def default_home() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pagewire"


@dataclass(frozen=True)
class KafkaSettings:
    bootstrap: str = field(
        default="localhost:9092",
        metadata=setting("PAGEWIRE_KAFKA_BOOTSTRAP", "Kafka bootstrap servers, comma separated"),
    )
    topic_prefix: str = field(
        default="pagewire.",
        metadata=setting("PAGEWIRE_TOPIC_PREFIX", "prefix of every topic name pagewire owns"),
    )
    replication_factor: int = field(
        default=0,
        metadata=setting(
            "PAGEWIRE_TOPIC_REPLICATION_FACTOR",
            "replicas of topics `pagewire topics create` makes; 0 = as many as the cluster has, at most 3",
        ),
    )
    client_id: str = field(
        default="pagewire", metadata=setting("PAGEWIRE_KAFKA_CLIENT_ID", "client id sent to Kafka")
    )
    compression: str = field(
        default="zstd",
        metadata=setting(
            "PAGEWIRE_KAFKA_COMPRESSION", "producer compression: zstd, lz4, gzip, snappy or none"
        ),
    )
    max_request_bytes: int = field(
        default=4_194_304,
        metadata=setting("PAGEWIRE_KAFKA_MAX_REQUEST_BYTES", "largest produce request (above the body cap)"),
    )
    start_wait_seconds: float = field(
        default=0.0,
        metadata=setting(
            "PAGEWIRE_KAFKA_START_WAIT",
            "seconds the worker and the sinks wait for Kafka at start, retrying with backoff, before they "
            "exit with code 3; 0 waits forever (/readyz says 503 meanwhile)",
        ),
    )


@dataclass(frozen=True)
class LocalKafkaSettings:
    home: Path = field(
        default_factory=default_home,
        metadata=setting(
            "PAGEWIRE_HOME",
            "cache/state directory for the local broker's jars, data and logs (outside the repo)",
        ),
    )
    port: int = field(default=9092, metadata=setting("PAGEWIRE_LOCAL_KAFKA_PORT", "local broker port"))
    controller_port: int = field(
        default=9093, metadata=setting("PAGEWIRE_LOCAL_KAFKA_CONTROLLER_PORT", "local KRaft controller port")
    )
    heap: str = field(default="768m", metadata=setting("PAGEWIRE_LOCAL_KAFKA_HEAP", "local broker JVM heap"))
    start_timeout_seconds: float = field(
        default=90.0,
        metadata=setting("PAGEWIRE_LOCAL_KAFKA_START_TIMEOUT", "seconds `kafka up` waits for the broker"),
    )
    jars: Path | None = field(
        default=None,
        metadata=setting(
            "PAGEWIRE_LOCAL_KAFKA_JARS",
            "folder of already downloaded Kafka jars to run (another home's kafka-<version>/libs); "
            "empty means PAGEWIRE_HOME/kafka-<version>/libs, downloaded there once",
        ),
    )


@dataclass(frozen=True)
class StorageSettings:
    database_url: Secret = field(
        default_factory=lambda: Secret(""),
        metadata=setting(
            "PAGEWIRE_DATABASE_URL",
            "sqlite:///path.db or postgresql://user:pass@host/db; empty means PAGEWIRE_HOME/pagewire.db",
        ),
    )
    group: str = field(
        default="storage",
        metadata=setting(
            "PAGEWIRE_STORAGE_GROUP", "storage sink consumer group; prefixed by the topic prefix"
        ),
    )
    batch_size: int = field(
        default=500,
        metadata=setting("PAGEWIRE_STORAGE_BATCH_SIZE", "most messages written in one database transaction"),
    )
    poll_timeout_seconds: float = field(
        default=1.0,
        metadata=setting("PAGEWIRE_STORAGE_POLL_TIMEOUT", "seconds one poll of Kafka waits for messages"),
    )
    connect_timeout_seconds: float = field(
        default=5.0,
        metadata=setting(
            "PAGEWIRE_STORAGE_CONNECT_TIMEOUT", "seconds to connect to the database or wait for its lock"
        ),
    )
    backoff_base_seconds: float = field(
        default=0.5,
        metadata=setting(
            "PAGEWIRE_STORAGE_BACKOFF_BASE", "first retry of a failed batch waits about this long"
        ),
    )
    backoff_max_seconds: float = field(
        default=30.0,
        metadata=setting("PAGEWIRE_STORAGE_BACKOFF_MAX", "longest wait between retries of a failed batch"),
    )


@functools.cache  # importlib.metadata reads and parses METADATA each call (~0.5 ms): once per process
def package_version() -> str:
    """The installed pagewire version, named in the producer's User-Agent and Kafka headers."""
    try:
        return importlib.metadata.version("pagewire")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"


@dataclass(frozen=True)
class ObservabilitySettings:
    host: str = field(
        # all interfaces by default: in a container the probes and the scraper come from outside
        default="0.0.0.0",  # noqa: S104
        metadata=setting("PAGEWIRE_OBSERVE_HOST", "address the /metrics, /healthz, /readyz server binds"),
    )
    producer_port: int = field(
        default=9464,
        metadata=setting(
            "PAGEWIRE_OBSERVE_PRODUCER_PORT", "observability port of the producer (0: any free)"
        ),
    )
    worker_port: int = field(
        default=9465,
        metadata=setting("PAGEWIRE_OBSERVE_WORKER_PORT", "observability port of the worker (0: any free)"),
    )
    storage_sink_port: int = field(
        default=9466,
        metadata=setting(
            "PAGEWIRE_OBSERVE_STORAGE_SINK_PORT", "observability port of the storage sink (0: any free)"
        ),
    )
    alert_sink_port: int = field(
        default=9467,
        metadata=setting(
            "PAGEWIRE_OBSERVE_ALERT_SINK_PORT", "observability port of the alert sink (0: any free)"
        ),
    )
    lag_interval_seconds: float = field(
        default=10.0,
        metadata=setting("PAGEWIRE_LAG_INTERVAL", "seconds between consumer lag measurements"),
    )
    log_level: str = field(
        default="INFO",
        metadata=setting("PAGEWIRE_LOG_LEVEL", "log level: DEBUG, INFO, WARNING, ERROR"),
    )
    log_format: str = field(
        default="json",
        metadata=setting("PAGEWIRE_LOG_FORMAT", "log format: json (one event per line) or text"),
    )


@dataclass(frozen=True)
class ContractSettings:
    schemas_dir: Path | None = field(
        default=None,
        metadata=setting(
            "PAGEWIRE_SCHEMAS_DIR",
            "the topic catalog and JSON Schemas (empty: schemas/ of this checkout); set where the package "
            "is installed without the repository, as in the container image",
        ),
    )
