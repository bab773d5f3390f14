"""The settings sections of the stages (producer, worker, alert sink): one frozen dataclass each, every field
with its PAGEWIRE_* variable and help."""

from dataclasses import dataclass, field
from pathlib import Path

from services.common.paths import DATA_DIR
from services.common.settings_sections import default_home, package_version, setting
from services.domain.ticker.rules import (
    DEFAULT_HISTORY_LIMIT,
    DEFAULT_QUANTISATION_THRESHOLD,
    DEFAULT_STALE_AFTER,
    DEFAULT_WINDOWS,
    StreamRules,
)


@dataclass(frozen=True)
class ProducerSettings:
    max_body_bytes: int = field(
        default=2_097_152,
        metadata=setting(
            "PAGEWIRE_PRODUCER_MAX_BODY_BYTES",
            "largest page body sent to Kafka (bytes); the worker dead-letters larger ones (body_too_large)",
        ),
    )
    user_agent: str = field(
        default_factory=lambda: f"pagewire/{package_version()}",
        metadata=setting("PAGEWIRE_PRODUCER_USER_AGENT", "User-Agent of URL fetches (add a contact URL)"),
    )
    connect_timeout_seconds: float = field(
        default=5.0,
        metadata=setting("PAGEWIRE_PRODUCER_CONNECT_TIMEOUT", "seconds to connect to a page's server"),
    )
    read_timeout_seconds: float = field(
        default=20.0,
        metadata=setting("PAGEWIRE_PRODUCER_READ_TIMEOUT", "seconds without a byte from a page's server"),
    )
    retries: int = field(
        default=3,
        metadata=setting("PAGEWIRE_PRODUCER_RETRIES", "retries of a fetch after timeouts, 429 and 5xx"),
    )
    backoff_base_seconds: float = field(
        default=1.0,
        metadata=setting("PAGEWIRE_PRODUCER_BACKOFF_BASE", "first retry waits about this long, doubling"),
    )
    backoff_max_seconds: float = field(
        default=60.0,
        metadata=setting("PAGEWIRE_PRODUCER_BACKOFF_MAX", "longest wait between retries (Retry-After too)"),
    )
    per_host_interval_seconds: float = field(
        default=1.0,
        metadata=setting("PAGEWIRE_PRODUCER_PER_HOST_INTERVAL", "least seconds between requests to a host"),
    )
    allow_private: bool = field(
        default=False,
        metadata=setting(
            "PAGEWIRE_PRODUCER_ALLOW_PRIVATE", "allow URL sources on private, loopback, link-local addresses"
        ),
    )
    interval_seconds: float = field(
        default=300.0,
        metadata=setting("PAGEWIRE_PRODUCER_INTERVAL", "seconds between polls of URL sources"),
    )
    broker_wait_seconds: float = field(
        default=30.0,
        metadata=setting("PAGEWIRE_PRODUCER_BROKER_WAIT", "seconds to wait for Kafka at start-up"),
    )
    delivery_timeout_seconds: float = field(
        default=30.0,
        metadata=setting("PAGEWIRE_PRODUCER_DELIVERY_TIMEOUT", "seconds Kafka may take to acknowledge"),
    )


@dataclass(frozen=True)
class WorkerSettings:
    app_id: str = field(
        default="worker",
        metadata=setting(
            "PAGEWIRE_WORKER_APP_ID", "Faust app id (consumer group); prefixed by the topic prefix"
        ),
    )
    store: str = field(
        default="rocksdb",
        metadata=setting("PAGEWIRE_WORKER_STORE", "table store: rocksdb (production) or memory (tests)"),
    )
    state_dir: Path = field(
        default_factory=lambda: default_home() / "state",
        metadata=setting("PAGEWIRE_STATE_DIR", "where the worker keeps its local table state (RocksDB)"),
    )
    session_timeout_seconds: float = field(
        default=30.0,
        metadata=setting(
            "PAGEWIRE_WORKER_SESSION_TIMEOUT",
            "seconds before Kafka moves a silent (crashed) worker's partitions to the others",
        ),
    )
    stop_timeout_seconds: float = field(
        default=30.0,
        metadata=setting(
            "PAGEWIRE_WORKER_STOP_TIMEOUT",
            "seconds a stop (SIGTERM, SIGINT) may take to commit and close, then the worker exits with code "
            "4 (a stop cannot finish while no broker answers; the next start recovers from the changelog)",
        ),
    )
    standbys: int = field(
        default=1,
        metadata=setting(
            "PAGEWIRE_WORKER_STANDBYS",
            "standby copies of each partition's tables kept by other workers of the group (0 to 3), so a "
            "takeover reads only the changelog's tail; a single worker has none to keep",
        ),
    )
    windows: str = field(
        default=DEFAULT_WINDOWS,
        metadata=setting("PAGEWIRE_WINDOWS", "rate-move windows of each delta, comma separated (s/m/h/d/w)"),
    )
    stale_after: str = field(
        default=DEFAULT_STALE_AFTER,
        metadata=setting("PAGEWIRE_STALE_AFTER", "a pair with no observation for this long is stale"),
    )
    quantisation_threshold: str = field(
        default=DEFAULT_QUANTISATION_THRESHOLD,
        metadata=setting(
            "PAGEWIRE_QUANTISATION_THRESHOLD", "a move of one tick above this percent is flagged quantised"
        ),
    )
    history_limit: int = field(
        default=DEFAULT_HISTORY_LIMIT,
        metadata=setting("PAGEWIRE_HISTORY_LIMIT", "most rate runs kept per pair for the windows"),
    )
    staleness_interval_seconds: float = field(
        default=30.0,
        metadata=setting("PAGEWIRE_STALENESS_INTERVAL", "seconds between the staleness timer's checks"),
    )
    alert_rules: Path = field(
        default=DATA_DIR / "alert_rules.yaml",
        metadata=setting("PAGEWIRE_ALERT_RULES", "alert rules file (YAML or TOML) the worker evaluates"),
    )
    changelog_batch_events: int = field(
        default=1000,
        metadata=setting(
            "PAGEWIRE_WORKER_CHANGELOG_BATCH",
            "events whose table changes go to the changelog together, one record per changed key "
            "(every commit writes what is held in any case)",
        ),
    )
    send_batch_events: int = field(
        default=64,
        metadata=setting(
            "PAGEWIRE_WORKER_SEND_BATCH",
            "most snapshots, among those already waiting, whose outputs go to Kafka together (1: each "
            "snapshot's alone); a snapshot that arrives alone is sent at once",
        ),
    )
    validate_outputs: bool = field(
        default=False,
        metadata=setting(
            "PAGEWIRE_WORKER_VALIDATE_OUTPUTS",
            "check each message the worker writes against its JSON Schema (tests always do; costs CPU)",
        ),
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
        metadata=setting(
            "PAGEWIRE_ALERT_DESTINATIONS",
            "YAML or TOML file of alert destinations (deploy/alert-destinations.example.yaml)",
        ),
    )
    group: str = field(
        default="alerts",
        metadata=setting(
            "PAGEWIRE_ALERT_SINK_GROUP",
            "consumer group stem: each destination has its own, <prefix><group>-<destination>",
        ),
    )
    deadline_seconds: float = field(
        default=300.0,
        metadata=setting(
            "PAGEWIRE_ALERT_SINK_DEADLINE", "seconds to deliver one alert, retries included, then dead letter"
        ),
    )
    max_attempts: int = field(
        default=20,
        metadata=setting("PAGEWIRE_ALERT_SINK_MAX_ATTEMPTS", "most attempts to deliver one alert"),
    )
    backoff_base_seconds: float = field(
        default=1.0,
        metadata=setting("PAGEWIRE_ALERT_SINK_BACKOFF_BASE", "first retry waits about this long, doubling"),
    )
    backoff_max_seconds: float = field(
        default=60.0,
        metadata=setting(
            "PAGEWIRE_ALERT_SINK_BACKOFF_MAX", "longest backoff between attempts (Retry-After may be longer)"
        ),
    )
    rate_limit_per_second: float = field(
        default=1.0,
        metadata=setting(
            "PAGEWIRE_ALERT_SINK_RATE_LIMIT", "default most requests per second to one destination"
        ),
    )
    connect_timeout_seconds: float = field(
        default=5.0,
        metadata=setting("PAGEWIRE_ALERT_SINK_CONNECT_TIMEOUT", "default seconds to connect to a chat"),
    )
    timeout_seconds: float = field(
        default=15.0,
        metadata=setting(
            "PAGEWIRE_ALERT_SINK_TIMEOUT", "default seconds one delivery attempt may take in total"
        ),
    )
    poll_timeout_seconds: float = field(
        default=1.0,
        metadata=setting("PAGEWIRE_ALERT_SINK_POLL_TIMEOUT", "seconds one poll of Kafka waits for alerts"),
    )
