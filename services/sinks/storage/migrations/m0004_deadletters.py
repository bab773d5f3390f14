"""Migration 4: dead letters stored, so `pagewire query deadletter` shows what no stage could process."""

from services.sinks.storage.tables import Dialect


def statements(dialect: Dialect) -> tuple[str, ...]:
    """Keyed by where the input came from and the stage that gave up on it (the topic's identity); the
    original bytes kept as the base64 text the message carries, with their size."""
    return (
        """CREATE TABLE deadletters (
            stage TEXT NOT NULL, source_topic TEXT NOT NULL, source_partition INTEGER NOT NULL,
            source_offset BIGINT NOT NULL, source_key TEXT, reason TEXT NOT NULL, error TEXT NOT NULL,
            snapshot_id TEXT, event_time TEXT NOT NULL, event_us BIGINT NOT NULL,
            original_size BIGINT NOT NULL, original TEXT NOT NULL,
            PRIMARY KEY (stage, source_topic, source_partition, source_offset))""",
        "CREATE INDEX deadletters_by_time ON deadletters (event_us)",
    )
