"""A real Prometheus scrapes a process serving pagewire's /metrics and answers with the exact values."""

import asyncio
import sys
from collections.abc import AsyncIterator

import pytest

from tests.support.deploy import REPO
from tests.support.observed_process import LAST_FETCHED_AT, SITE, SNAPSHOTS_RAW
from tests.support.prometheus import PrometheusFactory


@pytest.fixture
async def observed_process() -> AsyncIterator[str]:
    """host:port of a subprocess serving known metric values through services.common.observe."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.support.observed_process", cwd=REPO, stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode().strip()
    assert line.startswith("listening http://"), line
    try:
        yield line.removeprefix("listening http://")
    finally:
        process.terminate()
        assert await asyncio.wait_for(process.wait(), 10) == 0


async def test_prometheus_reads_freshness_dedupe_lag_and_delivery_series(
    prometheus: PrometheusFactory, observed_process: str
) -> None:
    async with prometheus({"pagewire-worker": [observed_process]}) as server:
        await server.targets_up(1)
        target = {"job": "pagewire-worker", "instance": observed_process}

        await server.wait_for("pagewire_ready", [(target, 1.0)])
        await server.wait_for(
            "pagewire_last_observation_timestamp_seconds",
            [({**target, "site": SITE, "pair": "KGS/USD"}, LAST_FETCHED_AT)],
        )
        await server.wait_for(
            "sum by (site) (pagewire_ticker_rows_unique_total)"
            " / sum by (site) (pagewire_ticker_rows_seen_total)",
            [({"site": SITE}, 0.5)],
        )
        await server.wait_for(
            "pagewire_consumer_lag_messages",
            [
                ({**target, "topic": SNAPSHOTS_RAW, "partition": "0"}, 7.0),
                ({**target, "topic": SNAPSHOTS_RAW, "partition": "1"}, 0.0),
            ],
        )
        await server.wait_for(
            "pagewire_deliveries_total",
            [
                ({**target, "destination": "ops", "outcome": "delivered"}, 3.0),
                ({**target, "destination": "ops", "outcome": "retried"}, 1.0),
            ],
        )
        await server.wait_for('pagewire_delivery_seconds_bucket{le="0.5"}', [({"destination": "ops"}, 2.0)])
        await server.wait_for("pagewire_delivery_seconds_count", [({"destination": "ops"}, 3.0)])


async def test_the_deploy_rules_evaluate_on_scraped_series(
    prometheus: PrometheusFactory, observed_process: str
) -> None:
    async with prometheus({"pagewire-worker": [observed_process]}, rules=True) as server:
        await server.targets_up(1)
        # the pair last arrived live in February 2025: older than a day by any clock running this test
        await server.wait_for(
            "site_pair:pagewire_ticker_age_seconds > bool 86400", [({"site": SITE, "pair": "KGS/USD"}, 1.0)]
        )
        # conditions hold at once; `for:` keeps them pending, which is what a fresh scrape can show
        await server.wait_for(
            'ALERTS{alertname="PagewireTickerStale"}',
            [({"alertstate": "pending", "severity": "warning", "site": SITE, "pair": "KGS/USD"}, 1.0)],
        )
        await server.wait_for(
            'ALERTS{alertname="PagewireWorkerStalled"}',
            [
                (
                    {
                        "alertstate": "pending",
                        "severity": "critical",
                        "job": "pagewire-worker",
                        "instance": observed_process,
                        "topic": SNAPSHOTS_RAW,
                    },
                    1.0,
                )
            ],
        )
        assert await server.query('ALERTS{alertname="PagewireTargetDown"}') == []
