"""The Faust application of `pagewire worker`, configured from Settings (broker, store, state, topics)."""

from typing import Any

import faust

from services.common.catalog import Catalog, load_catalog
from services.common.settings import Settings
from services.domain.errors import ConfigError

_STORES = {"memory": "memory://", "rocksdb": "rocksdb://"}


def make_app(settings: Settings, **overrides: Any) -> faust.App:
    """A Faust app whose id, changelog and repartition topics all live under the topic prefix."""
    try:
        store = _STORES[settings.worker.store]
    except KeyError as exc:
        raise ConfigError(f"PAGEWIRE_WORKER_STORE must be one of {sorted(_STORES)}") from exc
    prefix = settings.kafka.topic_prefix
    settings.worker.state_dir.mkdir(parents=True, exist_ok=True)  # Faust creates only the last level
    options: dict[str, Any] = {
        "broker": [f"kafka://{server.strip()}" for server in settings.kafka.bootstrap.split(",")],
        "store": store,
        "datadir": str(settings.worker.state_dir / _safe(prefix)),
        "topic_replication_factor": 1,
        "topic_allow_declare": True,
        "web_enabled": False,
        "producer_acks": -1,
        "producer_max_request_size": settings.kafka.max_request_bytes,
        "consumer_max_fetch_size": settings.kafka.max_request_bytes,
        "producer_compression_type": None
        if settings.kafka.compression == "none"
        else settings.kafka.compression,
        "stream_wait_empty": False,
        "table_cleanup_interval": 30.0,
    }
    options.update(overrides)
    return faust.App(prefix + settings.worker.app_id, **options)


def catalog_for(settings: Settings) -> Catalog:
    return load_catalog(settings.kafka.topic_prefix)


def _safe(prefix: str) -> str:
    return prefix.strip(".").replace(".", "_") or "default"
