"""Migration 2: indexes for `pagewire query`: latest rate per pair, and time-ordered history per pair."""

from services.sinks.storage.tables import Dialect


def statements(dialect: Dialect) -> tuple[str, ...]:
    """The same on both dialects."""
    return (
        "CREATE INDEX ticker_rows_latest ON ticker_rows (site, pair, event_us)",
        "CREATE INDEX ticker_rows_time ON ticker_rows (event_us)",
        "CREATE INDEX ticker_rows_pair_time ON ticker_rows (pair, event_us)",
        "CREATE INDEX rate_deltas_time ON rate_deltas (event_us)",
        "CREATE INDEX rate_deltas_pair_time ON rate_deltas (pair, event_us)",
        "CREATE INDEX staleness_events_time ON staleness_events (event_us)",
        "CREATE INDEX articles_time ON articles (event_us)",
        "CREATE INDEX article_labels_slug ON article_labels (slug)",
        "CREATE INDEX snapshots_site_time ON snapshots (site, event_us)",
        "CREATE INDEX alerts_time ON alerts (event_us)",
        "CREATE INDEX alerts_pair_time ON alerts (pair, event_us)",
    )
