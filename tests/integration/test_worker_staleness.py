"""The staleness timer on the real broker: a silent pair goes stale once, recovers, and survives a restart."""

import time
from collections.abc import AsyncIterator, Callable
from decimal import Decimal

import pytest

from services.common.catalog import Catalog, load_catalog
from services.common.settings import Settings
from tests.support.worker import (
    Output,
    Worker,
    of_site,
    one_pair_page,
    polled,
    private_topics,
    read_outputs,
    record,
    running_worker,
    send,
    snapshot,
)

TOPICS = ["snapshots.parsed", "ticker.staleness", "alerts"]


@pytest.fixture(scope="module")
async def prefix(kafka: Settings) -> dict[str, str]:
    return await private_topics(kafka, "stale")


@pytest.fixture(scope="module")
def private_catalog(prefix: dict[str, str]) -> Catalog:
    return load_catalog(prefix["PAGEWIRE_TOPIC_PREFIX"])


@pytest.fixture(scope="module")
async def worker(
    test_env: dict[str, str], prefix: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Worker]:
    env = {**test_env, **prefix, "PAGEWIRE_STALE_AFTER": "3s", "PAGEWIRE_STALENESS_INTERVAL": "0.25"}
    async with running_worker(env, tmp_path_factory.mktemp("stale") / "worker.log") as running:
        yield running


async def outputs(
    kafka: Settings, catalog: Catalog, until: Callable[[list[Output]], bool], settle: float = 1.0
) -> list[Output]:
    return await read_outputs(kafka.kafka, catalog, TOPICS, until, settle=settle)


def count(topic: str, site: str, wanted: int) -> Callable[[list[Output]], bool]:
    return lambda found: len(of_site(found, topic, site)) >= wanted


def private(kafka: Settings, prefix: dict[str, str]) -> Settings:
    return Settings.load({"PAGEWIRE_KAFKA_BOOTSTRAP": kafka.kafka.bootstrap, **prefix})


async def test_a_silent_pair_goes_stale_once_and_recovers_when_data_returns(
    worker: Worker, kafka: Settings, prefix: dict[str, str], private_catalog: Catalog
) -> None:
    catalog = private_catalog
    site = "stale.example"
    first = snapshot(site, "2025-02-19T06:00:00Z", one_pair_page())
    # a page polled live in 2025 (produced 2 s after its fetch) and only now consumed: a backlog. On the
    # wall clock it would be stale at once; on the site's clock not yet
    await send(private(kafka, prefix), [record(first)], timestamps_ms=[polled(first)])
    found = await outputs(kafka, catalog, count("snapshots.parsed", site, 1), settle=0.5)
    assert of_site(found, "ticker.staleness", site) == []

    found = await outputs(kafka, catalog, count("ticker.staleness", site, 1))
    [stale] = [output.value for output in of_site(found, "ticker.staleness", site)]
    silent = stale["silent_seconds"]
    assert 3 <= silent < 8
    assert stale == {
        "schema": "pagewire.staleness/1",
        "snapshot_id": first.snapshot_id,
        "site": site,
        "pair": "KGS/USD",
        "state": "stale",
        "event_time": stale["event_time"],
        "last_seen": "2025-02-19T06:00:00Z",
        "stale_after_seconds": 3,
        "silent_seconds": silent,
    }
    assert stale["event_time"].startswith("2025-02-19T06:00:0")
    [firing] = [output.value for output in of_site(found, "alerts", site)]
    assert (firing["rule"], firing["status"], firing["value"]) == (
        "pair-stale",
        "firing",
        str(Decimal(str(silent))),
    )
    assert f'pagewire_stale_pairs{{site="{site}"}} 1.0' in await worker.metrics()

    back = snapshot(site, "2025-02-19T06:00:10Z", one_pair_page("0.01145 0.09%"))
    await send(private(kafka, prefix), [record(back)], timestamps_ms=[polled(back)])
    found = await outputs(kafka, catalog, count("alerts", site, 2))
    assert f'pagewire_stale_pairs{{site="{site}"}} 0.0' in await worker.metrics()  # until its next silence
    assert [output.value for output in of_site(found, "ticker.staleness", site)][:2] == [
        stale,
        {
            "schema": "pagewire.staleness/1",
            "snapshot_id": back.snapshot_id,
            "site": site,
            "pair": "KGS/USD",
            "state": "recovered",
            "event_time": "2025-02-19T06:00:10Z",
            "last_seen": "2025-02-19T06:00:00Z",
            "stale_after_seconds": 3,
            "silent_seconds": 10,
        },
    ]
    resolved = of_site(found, "alerts", site)[1].value
    assert (resolved["status"], resolved["value"], resolved["summary"]) == (
        "resolved",
        "10",
        f"KGS/USD on {site} recovered after 10s without observations",
    )


async def test_a_replay_that_ended_does_not_go_stale_where_a_live_site_does(
    worker: Worker, kafka: Settings, prefix: dict[str, str], private_catalog: Catalog
) -> None:
    replayed = snapshot("replay.example", "2025-02-19T06:00:00Z", one_pair_page())
    live = snapshot("live.example", "2025-02-19T06:00:00Z", one_pair_page())
    # the same 2025 page of two sites, sent together: one replayed today (produced now), one polled then
    await send(
        private(kafka, prefix),
        [record(replayed), record(live)],
        timestamps_ms=[int(time.time() * 1000), polled(live)],
    )

    found = await outputs(kafka, private_catalog, count("ticker.staleness", "live.example", 1), settle=2.0)
    assert [o.value["state"] for o in of_site(found, "ticker.staleness", "live.example")] == ["stale"]
    assert of_site(found, "ticker.staleness", "replay.example") == []
    assert of_site(found, "alerts", "replay.example") == []
    assert 'pagewire_stale_pairs{site="replay.example"} 0.0' in await worker.metrics()


async def test_after_a_restart_nothing_is_reported_twice_and_clocks_resume_from_the_state(
    worker: Worker, kafka: Settings, prefix: dict[str, str], private_catalog: Catalog
) -> None:
    catalog = private_catalog
    # stale.example fell silent again after 06:00:10 (stale, recovered, stale): reported once, even across
    # the restart below
    await outputs(kafka, catalog, count("ticker.staleness", "stale.example", 3))
    site = "resume.example"
    resumed = snapshot(site, "2025-02-19T07:00:00Z", one_pair_page())
    await send(private(kafka, prefix), [record(resumed)], timestamps_ms=[polled(resumed)])
    await outputs(kafka, catalog, count("snapshots.parsed", site, 1), settle=0.1)
    assert await worker.stop() == 0
    await worker.start()

    found = await outputs(kafka, catalog, count("ticker.staleness", site, 1), settle=2.0)
    [stale] = [output.value for output in of_site(found, "ticker.staleness", site)]
    # the clock resumed from the recovered last_seen (07:00:00), not from today's wall clock
    assert (stale["state"], stale["last_seen"]) == ("stale", "2025-02-19T07:00:00Z")
    assert 3 <= stale["silent_seconds"] < 10
    assert [o.value["state"] for o in of_site(found, "ticker.staleness", "stale.example")] == [
        "stale",
        "recovered",
        "stale",
    ]
    # the replayed site's clock came back standing still (its table entry says its newest page was a replay)
    assert of_site(found, "ticker.staleness", "replay.example") == []
