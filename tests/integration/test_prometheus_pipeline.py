"""Issue 6 for real: Prometheus scrapes the worker, both sinks and a polling producer through a replay."""

from collections.abc import Mapping
from pathlib import Path

import orjson

from services.common.catalog import load_catalog
from services.common.settings import Settings
from tests.support.observed_stack import (
    WEBHOOK_PATH,
    WEBHOOK_SECRET,
    Stack,
    check_metrics,
    listening_ports,
    observed_stack,
    replay,
)
from tests.support.page_server import CHANGED, FIRST, etag_then_304_then_changed, page_server
from tests.support.prometheus import PrometheusFactory, PrometheusServer
from tests.support.receiver import receiver

#: the topics the storage sink stores, from the catalog
STORED_TOPICS = load_catalog().stored

SITE = "timesca.com"
PAIRS = ("KGS/USD", "KZT/USD", "TJS/USD", "UZS/USD", "TMT/USD")
# What samples/README.md says the 11 replay files and then late/20250219T053000Z.txt give:
# every pair's newest fetch is replay/20250219T160000Z (TMT/USD, absent at 15:00, is back then)
LAST_FETCHED_AT = 1739980800.0  # 2025-02-19T16:00:00Z
# one observation per page and pair (marquee repeats collapse); TMT/USD is missing from one page
SEEN = {"KGS/USD": 12, "KZT/USD": 12, "TJS/USD": 12, "UZS/USD": 12, "TMT/USD": 11}
# the first row, then each change of rate or printed change (KZT/USD's "-0" equals "0")
UNIQUE = {"KGS/USD": 3, "KZT/USD": 2, "TJS/USD": 3, "UZS/USD": 3, "TMT/USD": 1}
# a pair the worker has seen has every series, so TMT/USD (one rate all day) reads 0 rather than nothing
DELTAS = {"KGS/USD": 2, "KZT/USD": 1, "TJS/USD": 2, "UZS/USD": 2, "TMT/USD": 0}
# the late page is older than every accepted row: late for each pair, never a delta
LATE = dict.fromkeys(PAIRS, 1)
# S1-S6, N1, N2, N3 first seen, by the labels the bundled taxonomy gives them; N1's longer excerpt revises it
ARTICLES = {
    "china": 1, "eu": 1, "kazakhstan": 4, "kyrgyzstan": 4, "russia": 1, "tajikistan": 1, "turkey": 5,
    "turkmenistan": 2, "uzbekistan": 2, "economy-finance": 2, "energy-climate": 2, "politics-diplomacy": 5,
    "security-defense": 3, "tourism-culture": 1, "transport-infrastructure": 3,
}  # fmt: skip
REVISIONS = {"kazakhstan": 1, "kyrgyzstan": 1, "transport-infrastructure": 1}
# move-1h fires on KGS/USD's +1.40% at 09:00 and resolves at 14:00 (-0.86% in the hour); UZS/USD's
# one-tick moves (-12.5% at 07:00, +14.3% at 14:00) are rounding, at 07:00 for the day's window too
RULE_OUTCOMES = [
    ({"rule": "move-1h", "severity": "warning", "outcome": "fired"}, 1.0),
    ({"rule": "move-1h", "severity": "warning", "outcome": "resolved"}, 1.0),
    ({"rule": "move-1h", "severity": "warning", "outcome": "rounding"}, 2.0),
    ({"rule": "move-24h", "severity": "critical", "outcome": "rounding"}, 1.0),
]
ALERTS = 2  # the firing and the resolved alert
# per catalog topic: 12 pages parsed, rows, deltas, 9 articles + 1 revision, alerts, one delivery each
OUTPUTS = {"snapshots.parsed": 12, "ticker.rows": 12, "rates.deltas": 7, "articles": 10, "alerts": ALERTS}
# rows per table the storage sink wrote; articles carry 40 labels in all (37 + the revision's 3)
TABLE_ROWS = {
    "ticker_rows": 12, "rate_deltas": 7, "articles": 10, "article_labels": 40, "alerts": ALERTS,
    "alert_deliveries": ALERTS,
}  # fmt: skip
POLLED = "127.0.0.1"  # the polling producer's site: the page server's host

Expected = list[tuple[Mapping[str, str], float]]


def per(label: str, values: Mapping[str, int], **fixed: str) -> Expected:
    return [({**fixed, label: key}, float(value)) for key, value in values.items()]


async def test_prometheus_shows_the_replay_with_exact_values(
    kafka: Settings, test_env: dict[str, str], tmp_path: Path, prometheus: PrometheusFactory
) -> None:
    async with (
        receiver() as chat,
        page_server(etag_then_304_then_changed) as page,
        observed_stack(kafka, test_env, tmp_path, chat, page.url) as stack,
        prometheus({job: [stack.target(job)] for job in stack.jobs}, rules=True) as server,
    ):
        await server.targets_up(len(stack.jobs))
        await server.wait_for("pagewire_ready", [({"job": job}, 1.0) for job in stack.jobs])
        await _polling_producer(server, page.requests)
        assert await replay(stack.env, "replay", SITE) == "sent 11, unchanged 0, failed 0"
        assert await replay(stack.env, "late", SITE) == "sent 1, unchanged 0, failed 0"
        await _worker(server, stack)
        await _sinks(server, stack)
        await _lag_back_to_zero(server, stack)
        await _rules(server)
        assert len(await chat.wait_for(WEBHOOK_PATH, ALERTS)) == ALERTS
        for job, process in stack.jobs.items():
            problems = check_metrics(await process.metrics())
            assert not problems, f"promtool check metrics on {job}: {problems}"
            assert process.process is not None
            assert listening_ports(process.process.pid) == {int(process.url.rsplit(":", 1)[1])}, job
    _logs_are_json_with_context_and_no_secret(stack)


async def _polling_producer(server: PrometheusServer, requests: list[dict[str, str]]) -> None:
    """The page server answers the page, 304, a changed page, then holds the 4th request open."""
    await server.wait_for("pagewire_snapshots_fetched_total", [({"site": POLLED}, 3.0)])
    await server.wait_for("pagewire_snapshots_sent_total", [({"site": POLLED}, 2.0)])
    await server.wait_for("pagewire_snapshots_unchanged_total", [({"site": POLLED}, 1.0)])
    await server.wait_for("pagewire_snapshot_bytes_sum", [({"site": POLLED}, float(len(FIRST + CHANGED)))])
    await server.wait_for("pagewire_snapshot_bytes_count", [({"site": POLLED}, 2.0)])
    assert await server.query("pagewire_snapshots_failed_total") == []
    assert len(requests) == 4


async def _worker(server: PrometheusServer, stack: Stack) -> None:
    prefix = stack.env["PAGEWIRE_TOPIC_PREFIX"]
    consumed = 'pagewire_messages_consumed_total{job="pagewire-worker"}'
    await server.wait_for(consumed, [({"topic": f"{prefix}snapshots.raw"}, 12.0)], timeout=60)
    site = {"site": SITE}
    fresh = [({**site, "pair": pair}, LAST_FETCHED_AT) for pair in PAIRS]
    await server.wait_for("pagewire_last_observation_timestamp_seconds", fresh)
    await server.wait_for("pagewire_ticker_rows_seen_total", per("pair", SEEN, **site))
    await server.wait_for("pagewire_ticker_rows_unique_total", per("pair", UNIQUE, **site))
    ratio = (
        "sum by (site) (pagewire_ticker_rows_unique_total) / sum by (site) (pagewire_ticker_rows_seen_total)"
    )
    await server.wait_for(ratio, [(site, sum(UNIQUE.values()) / sum(SEEN.values()))])
    await server.wait_for("pagewire_late_observations_total", per("pair", LATE, **site))
    await server.wait_for("pagewire_deltas_total", per("pair", DELTAS, **site))
    await server.wait_for("pagewire_stale_pairs", [(site, 0.0)])
    await server.wait_for("pagewire_alerts_total", RULE_OUTCOMES)
    await server.wait_for("pagewire_articles_total", per("label", ARTICLES))
    await server.wait_for("pagewire_article_revisions_total", per("label", REVISIONS))
    stages = {"decode": 12, "parse": 12, "ticker": 12, "alerts": 12, "articles": 12}
    await server.wait_for('pagewire_stage_seconds_count{stage!="staleness"}', per("stage", stages))
    # every page is from February 2025: each output is a replay's, measured from when its snapshot (or
    # alert) was produced, so it is counted under replay="true" and within the hour, never in +Inf
    total = 'sum(pagewire_end_to_end_seconds_count{replay="true"})'
    within = 'sum(pagewire_end_to_end_seconds_bucket{replay="true",le="3600.0"})'
    await server.wait_for(f"{total} - {within}", [({}, 0.0)])
    await server.wait_for('sum(pagewire_end_to_end_seconds_count{replay="false"})', [({}, 0.0)])
    main = 'sum by (topic) (pagewire_end_to_end_seconds_count{topic!~"articles[.](country|subject)[.].*"})'
    # the worker makes a series for each topic it may write at start, so the unused ones read 0
    unused = dict.fromkeys(["ticker.staleness", "articles.unclassified", "deadletter"], 0)
    await server.wait_for(main, per("topic", {**OUTPUTS, **unused, "alerts.deliveries": ALERTS}))
    labelled = 'sum(pagewire_end_to_end_seconds_count{topic=~"articles[.](country|subject)[.].*"})'
    await server.wait_for(labelled, [({}, float(sum(ARTICLES.values()) + sum(REVISIONS.values())))])
    assert await server.query("pagewire_parse_errors_total") == []
    assert await server.query("pagewire_deadlettered_total") == []


async def _sinks(server: PrometheusServer, stack: Stack) -> None:
    prefix = stack.env["PAGEWIRE_TOPIC_PREFIX"]
    stored = {**OUTPUTS, "alerts.deliveries": ALERTS}
    consumed = [
        ({"job": "pagewire-storage-sink", "topic": prefix + name}, float(n)) for name, n in stored.items()
    ]
    alerts = ({"job": "pagewire-alert-sink", "topic": f"{prefix}alerts"}, float(ALERTS))
    await server.wait_for("pagewire_messages_consumed_total{job!='pagewire-worker'}", [*consumed, alerts])
    await server.wait_for(
        "pagewire_deliveries_total", [({"destination": "ops", "outcome": "delivered"}, 2.0)]
    )
    await server.wait_for("pagewire_delivery_seconds_count", [({"destination": "ops"}, 2.0)])
    await server.wait_for('pagewire_storage_batch_rows_sum{table!="snapshots"}', per("table", TABLE_ROWS))
    # the 08:00 page repeats 07:00 byte for byte: one snapshot row if both summaries shared a batch
    (snapshots,) = await server.query('pagewire_storage_batch_rows_sum{table="snapshots"}')
    assert snapshots.value in (11.0, 12.0)
    batches = {s.labels["table"]: s.value for s in await server.query("pagewire_storage_batch_rows_count")}
    writes = {s.labels["table"]: s.value for s in await server.query("pagewire_storage_write_seconds_count")}
    # one write time per table a batch wrote, and one per transaction under table="all"
    transactions = writes.pop("all")
    assert writes == batches and set(batches) == {*TABLE_ROWS, "snapshots"}
    assert max(batches.values()) <= transactions <= sum(TABLE_ROWS.values()) + 12
    assert all(1 <= batches[table] <= count for table, count in TABLE_ROWS.items())


async def _lag_back_to_zero(server: PrometheusServer, stack: Stack) -> None:
    catalog = load_catalog(stack.env["PAGEWIRE_TOPIC_PREFIX"])
    read = {
        "pagewire-worker": ["snapshots.raw"],
        "pagewire-storage-sink": list(STORED_TOPICS),
        "pagewire-alert-sink": ["alerts"],
    }
    expected: Expected = [
        ({"job": job, "topic": catalog.name(name), "partition": str(partition)}, 0.0)
        for job, names in read.items()
        for name in names
        for partition in range(catalog.spec(name).partitions)
    ]
    await server.wait_for("pagewire_consumer_lag_messages", expected, timeout=60)


async def _rules(server: PrometheusServer) -> None:
    """deploy/prometheus/rules.yml on the real series: the February replay trips nothing. Its pages are a
    replay (produced long after their time), so no live arrival is recorded and PagewireTickerStale, on
    the wall clock, has nothing to say about them; their event times are still there."""
    fetched = [({"site": SITE, "pair": pair}, 1.0) for pair in PAIRS]
    await server.wait_for("count by (site, pair) (pagewire_last_observation_timestamp_seconds)", fetched)
    await server.wait_for("site_pair:pagewire_ticker_age_seconds", [])
    # lag is back to 0, so what the catch-up set pending (lag before any consumption) clears
    await server.wait_for("ALERTS", [])


def _logs_are_json_with_context_and_no_secret(stack: Stack) -> None:
    delivered = []
    for job, process in stack.jobs.items():
        text = process.log.read_text()
        assert WEBHOOK_SECRET not in text and "ops-token" not in text, job
        for line in text.splitlines():
            entry = orjson.loads(line)
            assert {"ts", "level", "logger", "event"} <= entry.keys(), line
            if entry["event"] == "alert delivered":
                delivered.append(entry)
    assert len(delivered) == ALERTS
    for entry in delivered:
        assert {"alert_id", "topic", "partition", "offset", "destination"} <= entry.keys(), entry
