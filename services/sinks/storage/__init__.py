"""The storage sink: every public message type stored in SQLite or PostgreSQL, keyed by its natural key."""
