"""The settings sections: one frozen dataclass per part, each field with its PAGEWIRE_* variable and help."""

import functools
import importlib.metadata
import os
from dataclasses import dataclass, field
from pathlib import Path

from services.common.paths import DATA_DIR
from services.common.secret import Secret
from services.domain.ticker.rules import (
    DEFAULT_HISTORY_LIMIT,
    DEFAULT_QUANTISATION_THRESHOLD,
    DEFAULT_STALE_AFTER,
    DEFAULT_WINDOWS,
    StreamRules,
)


def _setting(env: str, help_text: str) -> dict[str, str]:
    return {"env": env, "help": help_text}


def _default_home() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pagewire"


@dataclass(frozen=True)
class KafkaSettings:
    bootstrap: str = field(
        default="localhost:9092",
        metadata=_setting("PAGEWIRE_KAFKA_BOOTSTRAP", "Kafka bootstrap servers, comma separated"),
    )
    topic_prefix: str = field(
        default="pagewire.",
        metadata=_setting("PAGEWIRE_TOPIC_PREFIX", "prefix of every topic name pagewire owns"),
    )
    replication_factor: int = field(
        default=0,
        metadata=_setting(
            "PAGEWIRE_TOPIC_REPLICATION_FACTOR",
            "replicas of topics `pagewire topics create` makes; 0 = as many as the cluster has, at most 3",
        ),
    )
    client_id: str = field(
        default="pagewire", metadata=_setting("PAGEWIRE_KAFKA_CLIENT_ID", "client id sent to Kafka")
    )
    compression: str = field(
        default="zstd",
        metadata=_setting(
            "PAGEWIRE_KAFKA_COMPRESSION", "producer compression: zstd, lz4, gzip, snappy or none"
        ),
    )
    max_request_bytes: int = field(
        default=4_194_304,
        metadata=_setting("PAGEWIRE_KAFKA_MAX_REQUEST_BYTES", "largest produce request (above the body cap)"),
    )


@dataclass(frozen=True)
class LocalKafkaSettings:
    home: Path = field(
        default_factory=_default_home,
        metadata=_setting(
            "PAGEWIRE_HOME",
            "cache/state directory for the local broker's jars, data and logs (outside the repo)",
        ),
    )
    port: int = field(default=9092, metadata=_setting("PAGEWIRE_LOCAL_KAFKA_PORT", "local broker port"))
    controller_port: int = field(
        default=9093, metadata=_setting("PAGEWIRE_LOCAL_KAFKA_CONTROLLER_PORT", "local KRaft controller port")
    )
    heap: str = field(default="768m", metadata=_setting("PAGEWIRE_LOCAL_KAFKA_HEAP", "local broker JVM heap"))
    start_timeout_seconds: float = field(
        default=90.0,
        metadata=_setting("PAGEWIRE_LOCAL_KAFKA_START_TIMEOUT", "seconds `kafka up` waits for the broker"),
    )
    jars: Path | None = field(
        default=None,
        metadata=_setting(
            "PAGEWIRE_LOCAL_KAFKA_JARS",
            "folder of already downloaded Kafka jars to run (another home's kafka-<version>/libs); "
            "empty means PAGEWIRE_HOME/kafka-<version>/libs, downloaded there once",
        ),
    )


@dataclass(frozen=True)
class StorageSettings:
    database_url: Secret = field(
        default_factory=lambda: Secret(""),
        metadata=_setting(
            "PAGEWIRE_DATABASE_URL",
            "sqlite:///path.db or postgresql://user:pass@host/db; empty means PAGEWIRE_HOME/pagewire.db",
        ),
    )
    group: str = field(
        default="storage",
        metadata=_setting(
            "PAGEWIRE_STORAGE_GROUP", "storage sink consumer group; prefixed by the topic prefix"
        ),
    )
    batch_size: int = field(
        default=500,
        metadata=_setting("PAGEWIRE_STORAGE_BATCH_SIZE", "most messages written in one database transaction"),
    )
    poll_timeout_seconds: float = field(
        default=1.0,
        metadata=_setting("PAGEWIRE_STORAGE_POLL_TIMEOUT", "seconds one poll of Kafka waits for messages"),
    )
    connect_timeout_seconds: float = field(
        default=5.0,
        metadata=_setting(
            "PAGEWIRE_STORAGE_CONNECT_TIMEOUT", "seconds to connect to the database or wait for its lock"
        ),
    )
    backoff_base_seconds: float = field(
        default=0.5,
        metadata=_setting(
            "PAGEWIRE_STORAGE_BACKOFF_BASE", "first retry of a failed batch waits about this long"
        ),
    )
    backoff_max_seconds: float = field(
        default=30.0,
        metadata=_setting("PAGEWIRE_STORAGE_BACKOFF_MAX", "longest wait between retries of a failed batch"),
    )


@functools.cache  # importlib.metadata reads and parses METADATA each call (~0.5 ms): once per process
def package_version() -> str:
    """The installed pagewire version, named in the producer's User-Agent and Kafka headers."""
    try:
        return importlib.metadata.version("pagewire")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"


@dataclass(frozen=True)
class ProducerSettings:
    max_body_bytes: int = field(
        default=2_097_152,
        metadata=_setting(
            "PAGEWIRE_PRODUCER_MAX_BODY_BYTES",
            "largest page body sent to Kafka (bytes); the worker dead-letters larger ones (body_too_large)",
        ),
    )
    user_agent: str = field(
        default_factory=lambda: f"pagewire/{package_version()}",
        metadata=_setting("PAGEWIRE_PRODUCER_USER_AGENT", "User-Agent of URL fetches (add a contact URL)"),
    )
    connect_timeout_seconds: float = field(
        default=5.0,
        metadata=_setting("PAGEWIRE_PRODUCER_CONNECT_TIMEOUT", "seconds to connect to a page's server"),
    )
    read_timeout_seconds: float = field(
        default=20.0,
        metadata=_setting("PAGEWIRE_PRODUCER_READ_TIMEOUT", "seconds without a byte from a page's server"),
    )
    retries: int = field(
        default=3,
        metadata=_setting("PAGEWIRE_PRODUCER_RETRIES", "retries of a fetch after timeouts, 429 and 5xx"),
    )
    backoff_base_seconds: float = field(
        default=1.0,
        metadata=_setting("PAGEWIRE_PRODUCER_BACKOFF_BASE", "first retry waits about this long, doubling"),
    )
    backoff_max_seconds: float = field(
        default=60.0,
        metadata=_setting("PAGEWIRE_PRODUCER_BACKOFF_MAX", "longest wait between retries (Retry-After too)"),
    )
    per_host_interval_seconds: float = field(
        default=1.0,
        metadata=_setting("PAGEWIRE_PRODUCER_PER_HOST_INTERVAL", "least seconds between requests to a host"),
    )
    allow_private: bool = field(
        default=False,
        metadata=_setting(
            "PAGEWIRE_PRODUCER_ALLOW_PRIVATE", "allow URL sources on private, loopback, link-local addresses"
        ),
    )
    interval_seconds: float = field(
        default=300.0,
        metadata=_setting("PAGEWIRE_PRODUCER_INTERVAL", "seconds between polls of URL sources"),
    )
    broker_wait_seconds: float = field(
        default=30.0,
        metadata=_setting("PAGEWIRE_PRODUCER_BROKER_WAIT", "seconds to wait for Kafka at start-up"),
    )
    delivery_timeout_seconds: float = field(
        default=30.0,
        metadata=_setting("PAGEWIRE_PRODUCER_DELIVERY_TIMEOUT", "seconds Kafka may take to acknowledge"),
    )


@dataclass(frozen=True)
class WorkerSettings:
    app_id: str = field(
        default="worker",
        metadata=_setting(
            "PAGEWIRE_WORKER_APP_ID", "Faust app id (consumer group); prefixed by the topic prefix"
        ),
    )
    store: str = field(
        default="rocksdb",
        metadata=_setting("PAGEWIRE_WORKER_STORE", "table store: rocksdb (production) or memory (tests)"),
    )
    state_dir: Path = field(
        default_factory=lambda: _default_home() / "state",
        metadata=_setting("PAGEWIRE_STATE_DIR", "where the worker keeps its local table state (RocksDB)"),
    )
    session_timeout_seconds: float = field(
        default=30.0,
        metadata=_setting(
            "PAGEWIRE_WORKER_SESSION_TIMEOUT",
            "seconds before Kafka moves a silent (crashed) worker's partitions to the others",
        ),
    )
    windows: str = field(
        default=DEFAULT_WINDOWS,
        metadata=_setting("PAGEWIRE_WINDOWS", "rate-move windows of each delta, comma separated (s/m/h/d/w)"),
    )
    stale_after: str = field(
        default=DEFAULT_STALE_AFTER,
        metadata=_setting("PAGEWIRE_STALE_AFTER", "a pair with no observation for this long is stale"),
    )
    quantisation_threshold: str = field(
        default=DEFAULT_QUANTISATION_THRESHOLD,
        metadata=_setting(
            "PAGEWIRE_QUANTISATION_THRESHOLD", "a move of one tick above this percent is flagged quantised"
        ),
    )
    history_limit: int = field(
        default=DEFAULT_HISTORY_LIMIT,
        metadata=_setting("PAGEWIRE_HISTORY_LIMIT", "most rate runs kept per pair for the windows"),
    )
    staleness_interval_seconds: float = field(
        default=30.0,
        metadata=_setting("PAGEWIRE_STALENESS_INTERVAL", "seconds between the staleness timer's checks"),
    )
    alert_rules: Path = field(
        default=DATA_DIR / "alert_rules.yaml",
        metadata=_setting("PAGEWIRE_ALERT_RULES", "alert rules file (YAML or TOML) the worker evaluates"),
    )

    def stream_rules(self) -> StreamRules:
        """The windows, staleness, quantisation and history rules, parsed (ConfigError when invalid)."""
        return StreamRules.parse(
            self.windows, self.stale_after, self.quantisation_threshold, self.history_limit
        )


@dataclass(frozen=True)
class AlertSinkSettings:
    destinations_file: Path | None = field(
        default=None,
        metadata=_setting(
            "PAGEWIRE_ALERT_DESTINATIONS",
            "YAML or TOML file of alert destinations (deploy/alert-destinations.example.yaml)",
        ),
    )
    group: str = field(
        default="alerts",
        metadata=_setting(
            "PAGEWIRE_ALERT_SINK_GROUP",
            "consumer group stem: each destination has its own, <prefix><group>-<destination>",
        ),
    )
    deadline_seconds: float = field(
        default=300.0,
        metadata=_setting(
            "PAGEWIRE_ALERT_SINK_DEADLINE", "seconds to deliver one alert, retries included, then dead letter"
        ),
    )
    max_attempts: int = field(
        default=20,
        metadata=_setting("PAGEWIRE_ALERT_SINK_MAX_ATTEMPTS", "most attempts to deliver one alert"),
    )
    backoff_base_seconds: float = field(
        default=1.0,
        metadata=_setting("PAGEWIRE_ALERT_SINK_BACKOFF_BASE", "first retry waits about this long, doubling"),
    )
    backoff_max_seconds: float = field(
        default=60.0,
        metadata=_setting(
            "PAGEWIRE_ALERT_SINK_BACKOFF_MAX", "longest backoff between attempts (Retry-After may be longer)"
        ),
    )
    rate_limit_per_second: float = field(
        default=1.0,
        metadata=_setting(
            "PAGEWIRE_ALERT_SINK_RATE_LIMIT", "default most requests per second to one destination"
        ),
    )
    connect_timeout_seconds: float = field(
        default=5.0,
        metadata=_setting("PAGEWIRE_ALERT_SINK_CONNECT_TIMEOUT", "default seconds to connect to a chat"),
    )
    timeout_seconds: float = field(
        default=15.0,
        metadata=_setting(
            "PAGEWIRE_ALERT_SINK_TIMEOUT", "default seconds one delivery attempt may take in total"
        ),
    )
    poll_timeout_seconds: float = field(
        default=1.0,
        metadata=_setting("PAGEWIRE_ALERT_SINK_POLL_TIMEOUT", "seconds one poll of Kafka waits for alerts"),
    )


@dataclass(frozen=True)
class ObservabilitySettings:
    host: str = field(
        # all interfaces by default: in a container the probes and the scraper come from outside
        default="0.0.0.0",  # noqa: S104
        metadata=_setting("PAGEWIRE_OBSERVE_HOST", "address the /metrics, /healthz, /readyz server binds"),
    )
    producer_port: int = field(
        default=9464,
        metadata=_setting(
            "PAGEWIRE_OBSERVE_PRODUCER_PORT", "observability port of the producer (0: any free)"
        ),
    )
    worker_port: int = field(
        default=9465,
        metadata=_setting("PAGEWIRE_OBSERVE_WORKER_PORT", "observability port of the worker (0: any free)"),
    )
    storage_sink_port: int = field(
        default=9466,
        metadata=_setting(
            "PAGEWIRE_OBSERVE_STORAGE_SINK_PORT", "observability port of the storage sink (0: any free)"
        ),
    )
    alert_sink_port: int = field(
        default=9467,
        metadata=_setting(
            "PAGEWIRE_OBSERVE_ALERT_SINK_PORT", "observability port of the alert sink (0: any free)"
        ),
    )
    lag_interval_seconds: float = field(
        default=10.0,
        metadata=_setting("PAGEWIRE_LAG_INTERVAL", "seconds between consumer lag measurements"),
    )
    log_level: str = field(
        default="INFO",
        metadata=_setting("PAGEWIRE_LOG_LEVEL", "log level: DEBUG, INFO, WARNING, ERROR"),
    )
    log_format: str = field(
        default="json",
        metadata=_setting("PAGEWIRE_LOG_FORMAT", "log format: json (one event per line) or text"),
    )


@dataclass(frozen=True)
class ContractSettings:
    schemas_dir: Path | None = field(
        default=None,
        metadata=_setting(
            "PAGEWIRE_SCHEMAS_DIR",
            "the topic catalog and JSON Schemas (empty: schemas/ of this checkout); set where the package "
            "is installed without the repository, as in the container image",
        ),
    )
