"""A stand-in pagewire process for the scrape test: known metric values behind the real observability server.

Run as `python -m tests.support.observed_process`; prints `listening <url>` once serving, stops on SIGTERM.
"""

import asyncio
import signal
import sys

from services.common.lag import LagReporter
from services.common.metrics import (
    DELIVERIES,
    DELIVERY_SECONDS,
    LAST_ARRIVAL,
    LAST_OBSERVATION,
    STALE_PAIRS,
    TICKER_ROWS_SEEN,
    TICKER_ROWS_UNIQUE,
)
from services.common.observe import Readiness, serve_observability
from services.common.settings import ObservabilitySettings

SITE = "timesca.com"
SNAPSHOTS_RAW = "pagewire.snapshots.raw"
# 2025-02-19T06:00:00Z: the pair's last live arrival, old, so the deploy rules see it stale
LAST_FETCHED_AT = 1739944800.0


def record_known_values() -> None:
    """What a worker and an alert sink would have counted after a short replay."""
    TICKER_ROWS_SEEN.labels(site=SITE, pair="KGS/USD").inc(20)
    TICKER_ROWS_UNIQUE.labels(site=SITE, pair="KGS/USD").inc(5)
    TICKER_ROWS_SEEN.labels(site=SITE, pair="TJS/USD").inc(20)
    TICKER_ROWS_UNIQUE.labels(site=SITE, pair="TJS/USD").inc(15)
    LAST_OBSERVATION.labels(site=SITE, pair="KGS/USD").set(LAST_FETCHED_AT)
    LAST_ARRIVAL.labels(site=SITE, pair="KGS/USD").set(LAST_FETCHED_AT)  # no live page since
    STALE_PAIRS.labels(site=SITE).set(1)
    LagReporter().publish({(SNAPSHOTS_RAW, 0): 7, (SNAPSHOTS_RAW, 1): 0})
    DELIVERIES.labels(destination="ops", outcome="delivered").inc(3)
    DELIVERIES.labels(destination="ops", outcome="retried").inc(1)
    for seconds in (0.2, 0.4, 3.0):
        DELIVERY_SECONDS.labels(destination="ops").observe(seconds)


async def main() -> None:
    record_known_values()
    readiness = Readiness("kafka", "consuming")
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with serve_observability(ObservabilitySettings(host="127.0.0.1"), 0, ready=readiness) as server:
        readiness.set("kafka")
        readiness.set("consuming")
        print(f"listening {server.url}", flush=True)
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
