"""Migration 1: one table per stored message type, keyed by its natural key; decimals as exact text."""

from services.sinks.storage.tables import Dialect


def statements(dialect: Dialect) -> tuple[str, ...]:
    # Decimal strings are TEXT on both dialects: NUMERIC would turn "-0" into 0 and "0.10" into 0.1.
    # Instants are kept as sent (TEXT) with event_us, microseconds since the epoch, to sort and filter by.
    json = "JSONB" if dialect == "postgresql" else "TEXT"
    return (
        """CREATE TABLE ticker_rows (
            site TEXT NOT NULL, pair TEXT NOT NULL, event_time TEXT NOT NULL, event_us BIGINT NOT NULL,
            base TEXT NOT NULL, quote TEXT NOT NULL, rate TEXT NOT NULL, change_pct TEXT NOT NULL,
            snapshot_id TEXT NOT NULL, source_url TEXT NOT NULL,
            PRIMARY KEY (site, pair, event_time))""",
        f"""CREATE TABLE rate_deltas (
            site TEXT NOT NULL, pair TEXT NOT NULL, event_time TEXT NOT NULL, event_us BIGINT NOT NULL,
            snapshot_id TEXT NOT NULL, previous_time TEXT NOT NULL, previous_rate TEXT NOT NULL,
            rate TEXT NOT NULL, change TEXT NOT NULL, change_pct TEXT NOT NULL, change_bps TEXT NOT NULL,
            reported_change_pct TEXT NOT NULL, previous_reported_change_pct TEXT NOT NULL,
            seconds_since_previous DOUBLE PRECISION NOT NULL, tick_size TEXT NOT NULL,
            change_ticks BIGINT NOT NULL, quantised BOOLEAN NOT NULL, windows {json} NOT NULL,
            PRIMARY KEY (site, pair, event_time))""",
        """CREATE TABLE staleness_events (
            site TEXT NOT NULL, pair TEXT NOT NULL, state TEXT NOT NULL, event_time TEXT NOT NULL,
            event_us BIGINT NOT NULL, snapshot_id TEXT NOT NULL, last_seen TEXT NOT NULL,
            stale_after_seconds DOUBLE PRECISION NOT NULL, silent_seconds DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (site, pair, state, event_time))""",
        """CREATE TABLE articles (
            article_id TEXT NOT NULL, revision INTEGER NOT NULL, event_time TEXT NOT NULL,
            event_us BIGINT NOT NULL, snapshot_id TEXT NOT NULL, site TEXT NOT NULL, title TEXT NOT NULL,
            body TEXT NOT NULL, dateline TEXT, truncated BOOLEAN NOT NULL, listing_date TEXT,
            source_url TEXT NOT NULL, first_seen TEXT NOT NULL,
            PRIMARY KEY (article_id, revision))""",
        f"""CREATE TABLE article_labels (
            article_id TEXT NOT NULL, revision INTEGER NOT NULL, family TEXT NOT NULL, slug TEXT NOT NULL,
            ordinal INTEGER NOT NULL, name TEXT NOT NULL, score DOUBLE PRECISION NOT NULL,
            cues {json} NOT NULL,
            PRIMARY KEY (article_id, revision, family, slug),
            FOREIGN KEY (article_id, revision)
                REFERENCES articles (article_id, revision) ON DELETE CASCADE)""",
        f"""CREATE TABLE snapshots (
            snapshot_id TEXT NOT NULL PRIMARY KEY, site TEXT NOT NULL, source_url TEXT NOT NULL,
            event_time TEXT NOT NULL, event_us BIGINT NOT NULL, ticker_row_count INTEGER NOT NULL,
            ticker_repeats INTEGER NOT NULL, article_count INTEGER NOT NULL, listing_date TEXT,
            pagination {json}, warnings {json} NOT NULL, size BIGINT NOT NULL)""",
        """CREATE TABLE alerts (
            alert_id TEXT NOT NULL PRIMARY KEY, group_key TEXT NOT NULL, status TEXT NOT NULL,
            rule TEXT NOT NULL, severity TEXT NOT NULL, metric TEXT NOT NULL, time_window TEXT,
            site TEXT NOT NULL, pair TEXT NOT NULL, value TEXT, threshold TEXT NOT NULL,
            direction TEXT NOT NULL, summary TEXT NOT NULL, snapshot_id TEXT NOT NULL,
            event_time TEXT NOT NULL, event_us BIGINT NOT NULL)""",
        """CREATE TABLE alert_deliveries (
            alert_id TEXT NOT NULL, destination TEXT NOT NULL, kind TEXT NOT NULL, outcome TEXT NOT NULL,
            attempts INTEGER NOT NULL, status_code INTEGER, reason TEXT, snapshot_id TEXT NOT NULL,
            event_time TEXT NOT NULL, event_us BIGINT NOT NULL, completed_at TEXT NOT NULL,
            PRIMARY KEY (alert_id, destination))""",
    )
