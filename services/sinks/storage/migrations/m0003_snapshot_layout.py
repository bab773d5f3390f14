"""Migration 3: what pagewire.snapshot_summary/2 adds to a snapshot: its heading, lines read and dropped."""

from services.sinks.storage.tables import Dialect


def statements(dialect: Dialect) -> tuple[str, ...]:
    """Nullable: snapshots stored from version 1 summaries have none of the three."""
    return (
        "ALTER TABLE snapshots ADD COLUMN heading TEXT",
        "ALTER TABLE snapshots ADD COLUMN line_count BIGINT",
        "ALTER TABLE snapshots ADD COLUMN dropped_line_count BIGINT",
    )
