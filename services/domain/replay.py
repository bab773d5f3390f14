"""Whether a page reached Kafka long after it was fetched: a replay of saved pages (or a backlog of them)."""

from datetime import datetime, timedelta

#: a page produced more than this after its own time is a replay: its latency is not a live pipeline's
REPLAY_AFTER = timedelta(minutes=10)


def is_replay(page_time: datetime, produced_at: datetime) -> bool:
    """A page whose own time (a snapshot's fetched_at, an alert's event_time) is over REPLAY_AFTER older
    than the moment it was produced to Kafka."""
    return produced_at - page_time > REPLAY_AFTER
