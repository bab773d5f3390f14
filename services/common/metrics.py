"""Every Prometheus metric pagewire exposes, in one place so names, HELP and label sets stay consistent.

Conventions: `pagewire_` prefix, `_total` counters, `_seconds` / `_bytes` base units, and bounded label
sets only: site, pair, label, rule, severity, destination, stage, reason, outcome, topic, partition.
Never URLs, titles or ids as label values.
"""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector

REGISTRY = CollectorRegistry(auto_describe=True)
# process_* series (CPU, resident memory, open fds, start time) so ops see restarts and leaks
ProcessCollector(registry=REGISTRY)

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)
_SIZE_BUCKETS = (1024, 4096, 16384, 65536, 262144, 1048576, 2097152, 4194304)
_BATCH_BUCKETS = (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000)

# -- producer -----------------------------------------------------------------------------------------
SNAPSHOTS_FETCHED = Counter(
    "pagewire_snapshots_fetched_total",
    "Snapshots fetched or read from files/stdin.",
    ["site"],
    registry=REGISTRY,
)
SNAPSHOTS_SENT = Counter(
    "pagewire_snapshots_sent_total",
    "Snapshots acknowledged by Kafka on snapshots.raw.",
    ["site"],
    registry=REGISTRY,
)
SNAPSHOTS_UNCHANGED = Counter(
    "pagewire_snapshots_unchanged_total",
    "Fetches skipped because the page did not change (304 or same body).",
    ["site"],
    registry=REGISTRY,
)
SOURCE_FAILING = Gauge(
    "pagewire_source_failing",
    "1 while the last poll of a site's URL failed (DNS, connection, HTTP error), else 0.",
    ["site"],
    registry=REGISTRY,
)
SNAPSHOTS_FAILED = Counter(
    "pagewire_snapshots_failed_total",
    "Snapshots that could not be fetched or delivered, by reason.",
    ["site", "reason"],
    registry=REGISTRY,
)
SNAPSHOT_BYTES = Histogram(
    "pagewire_snapshot_bytes", "Size of snapshot bodies.", ["site"], buckets=_SIZE_BUCKETS, registry=REGISTRY
)

# -- worker -------------------------------------------------------------------------------------------
PARSE_ERRORS = Counter(
    "pagewire_parse_errors_total",
    "Snapshots that could not be decoded or parsed.",
    ["reason"],
    registry=REGISTRY,
)
PARSE_LINES = Counter(
    "pagewire_parse_lines_total",
    "Non-blank rendered lines of parsed snapshots.",
    ["site"],
    registry=REGISTRY,
)
PARSE_DROPPED_LINES = Counter(
    "pagewire_parse_dropped_lines_total",
    "Lines of parsed snapshots that belong to no article, ticker, heading, date or pagination.",
    ["site"],
    registry=REGISTRY,
)
PAGE_TEASERS = Gauge(
    "pagewire_page_teasers",
    "Article teasers read from the site's last parsed snapshot.",
    ["site"],
    registry=REGISTRY,
)
TICKER_ROWS_SEEN = Counter(
    "pagewire_ticker_rows_seen_total",
    "Ticker observations read (after marquee repeats collapse), before dedupe.",
    ["site", "pair"],
    registry=REGISTRY,
)
TICKER_ROWS_UNIQUE = Counter(
    "pagewire_ticker_rows_unique_total",
    "Ticker rows emitted on ticker.rows (first or changed); unique/seen is the dedupe ratio.",
    ["site", "pair"],
    registry=REGISTRY,
)
LATE_OBSERVATIONS = Counter(
    "pagewire_late_observations_total",
    "Observations older than the last accepted one, skipped.",
    ["site", "pair"],
    registry=REGISTRY,
)
DELTAS = Counter("pagewire_deltas_total", "Rate deltas emitted.", ["site", "pair"], registry=REGISTRY)
LAST_OBSERVATION = Gauge(
    "pagewire_last_observation_timestamp_seconds",
    "Event time (fetched_at) of the last observation, new or duplicate, per site and pair.",
    ["site", "pair"],
    registry=REGISTRY,
)
LAST_ARRIVAL = Gauge(
    "pagewire_last_arrival_timestamp_seconds",
    "Wall-clock time the worker last received a live observation (not a replay) of each site and pair.",
    ["site", "pair"],
    registry=REGISTRY,
)
STALE_PAIRS = Gauge("pagewire_stale_pairs", "Pairs currently stale.", ["site"], registry=REGISTRY)
ARTICLES = Counter(
    "pagewire_articles_total",
    "Articles published (first sightings), per label.",
    ["label"],
    registry=REGISTRY,
)
ARTICLE_REVISIONS = Counter(
    "pagewire_article_revisions_total",
    "Article revisions published, per label.",
    ["label"],
    registry=REGISTRY,
)
STAGE_SECONDS = Histogram(
    "pagewire_stage_seconds",
    "Processing time per stage.",
    ["stage"],
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
END_TO_END_SECONDS = Histogram(
    "pagewire_end_to_end_seconds",
    "From the moment a snapshot (or an alert) was produced to Kafka to its output on each topic; "
    "replay=true for pages produced over 10 minutes after their own time.",
    ["topic", "replay"],
    buckets=(*_LATENCY_BUCKETS, 900, 3600),
    registry=REGISTRY,
)

# -- alerts -------------------------------------------------------------------------------------------
ALERTS = Counter(
    "pagewire_alerts_total",
    "Alert rule outcomes: fired, suppressed (cooldown), resolved, superseded, rounding or late.",
    ["rule", "severity", "outcome"],
    registry=REGISTRY,
)
DELIVERIES = Counter(
    "pagewire_deliveries_total",
    "Alert deliveries by destination and outcome (delivered, retried, dead_lettered, filtered).",
    ["destination", "outcome"],
    registry=REGISTRY,
)
DELIVERY_SECONDS = Histogram(
    "pagewire_delivery_seconds",
    "From an alert's arrival at the sink to its delivery, retries included.",
    ["destination"],
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)

# -- worker state -------------------------------------------------------------------------------------
RECOVERY_SECONDS = Gauge(
    "pagewire_worker_recovery_seconds",
    "Seconds the last table recovery took, from partitions assigned to state recovered.",
    registry=REGISTRY,
)
RECOVERY_RECORDS = Gauge(
    "pagewire_worker_recovery_records",
    "Changelog records read by the last table recovery.",
    registry=REGISTRY,
)
ASSIGNED_PARTITIONS = Gauge(
    "pagewire_worker_assigned_partitions",
    "snapshots.raw partitions this worker owns (active), after the last rebalance.",
    registry=REGISTRY,
)
STANDBY_PARTITIONS = Gauge(
    "pagewire_worker_standby_partitions",
    "Table changelog partitions this worker keeps a standby copy of, after the last rebalance.",
    registry=REGISTRY,
)
STANDBY_LAG = Gauge(
    "pagewire_worker_standby_lag_records",
    "Changelog records written but not yet read into this worker's standby copies (all partitions).",
    registry=REGISTRY,
)
RECOVERING = Gauge(
    "pagewire_worker_recovering",
    "1 from a partition assignment until this worker's tables are recovered (it processes nothing then).",
    registry=REGISTRY,
)
REBALANCES = Counter(
    "pagewire_worker_rebalances_total",
    "Partition assignments this worker received (one per rebalance of its group).",
    registry=REGISTRY,
)
STATE_STARTS = Counter(
    "pagewire_worker_state_starts_total",
    "Worker starts by how the local table store was found: clean, unclean, rebuilt, fresh, memory.",
    ["how"],
    registry=REGISTRY,
)

# -- every stage --------------------------------------------------------------------------------------
DEADLETTERED = Counter(
    "pagewire_deadlettered_total",
    "Messages sent to the deadletter topic.",
    ["stage", "reason"],
    registry=REGISTRY,
)
CONSUMER_LAG = Gauge(
    "pagewire_consumer_lag_messages",
    "Messages behind the end of each consumed partition.",
    ["topic", "partition"],
    registry=REGISTRY,
)
MESSAGES_CONSUMED = Counter(
    "pagewire_messages_consumed_total", "Messages read, per topic.", ["topic"], registry=REGISTRY
)

# -- storage ------------------------------------------------------------------------------------------
STORAGE_WRITE_SECONDS = Histogram(
    "pagewire_storage_write_seconds",
    "Database transaction time for one batch.",
    ["table"],
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
STORAGE_BATCH_ROWS = Histogram(
    "pagewire_storage_batch_rows",
    "Rows written per batch.",
    ["table"],
    buckets=_BATCH_BUCKETS,
    registry=REGISTRY,
)

# -- every long-running process -----------------------------------------------------------------------
READY = Gauge(
    "pagewire_ready",
    "1 while the process reports ready on /readyz (connected, state recovered, consuming), else 0.",
    registry=REGISTRY,
)
